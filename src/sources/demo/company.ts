import { DAY_US } from './calendar.js';
import { chooseIncident, type DemoIncident } from './incident.js';
import { MODELS } from './models.js';
import { buildPeople, TEAMS } from './org.js';
import { type DemoPlan, INCIDENT_SESSION, sessionKey } from './plan.js';

/** Teams that are not engineering: the review bot reads none of their pull requests, and they code little. */
export const NON_ENGINEERING = new Set(['support', 'sales-eng', 'finance']);

/** Everything about the company that does not change from day to day, for a range ending at `end` (epoch µs). */
export function buildPlan(opts: { seed: number; people: number; days: number; end: number }): DemoPlan {
  // mulberry32 and the id mixer work on 32 bits; seeds are folded into that space.
  const seed = opts.seed >>> 0;
  const people = buildPeople(seed, opts.people);
  const firstDay = Math.floor((opts.end - opts.days * DAY_US) / DAY_US);
  const lastDay = Math.floor((opts.end - 1) / DAY_US);
  return {
    seed,
    people,
    engineers: people.filter((p) => !NON_ENGINEERING.has(TEAMS[p.team]!.name)),
    sales: people.filter((p) => TEAMS[p.team]!.name === 'sales-eng'),
    incident: chooseIncident(people, firstDay, lastDay),
  };
}

/**
 * Where the runaway-agent incident is in the demo generated with these options (null with no people), so docs,
 * tests and a curious user can find it without a detector.
 */
export function demoIncident(opts: {
  seed: number;
  people: number;
  days: number;
  end: number;
}): DemoIncident | null {
  const plan = buildPlan(opts);
  const inc = plan.incident;
  if (!inc) return null;
  return {
    date: new Date((inc.day * DAY_US) / 1000).toISOString().slice(0, 10),
    start: inc.start,
    end: inc.end,
    user: inc.person.user,
    team: TEAMS[inc.person.team]!.name,
    agent: 'claude-code',
    model: MODELS.opus.name,
    session_id: sessionKey(plan.seed, inc.day, INCIDENT_SESSION),
  };
}
