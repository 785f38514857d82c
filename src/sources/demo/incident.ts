import { HOUR_US, isWeekend, localToUtc } from './calendar.js';
import { type Person, TEAMS } from './org.js';
import type { DemoPlan } from './plan.js';

/** How long the runaway agent loops before someone notices and kills it. */
const INCIDENT_HOURS = 2;

/**
 * The runaway-agent incident: on the latest weekday at least two days before the end of the range (so a by-day
 * report shows normal days after it), a moderate Claude Code user in the ml team starts a session at 14:00 local
 * time that loops for two hours, resending a ~160k-token Opus prompt every ~10 s.
 */
export function chooseIncident(
  people: readonly Person[],
  firstDay: number,
  lastDay: number,
): DemoPlan['incident'] {
  if (people.length === 0) return null;
  const ml = TEAMS.findIndex((t) => t.name === 'ml');
  const person = people.find((p) => p.team === ml && p.intensity < 1) ?? people[0]!;
  let day = Math.max(firstDay, lastDay - 2);
  for (let d = lastDay - 2; d >= firstDay; d--) {
    if (!isWeekend(d)) {
      day = d;
      break;
    }
  }
  const start = localToUtc(day, 14, person.offsetMin);
  return { day, person, start, end: start + INCIDENT_HOURS * HOUR_US };
}

export interface DemoIncident {
  /** Date (UTC) of the incident, YYYY-MM-DD. */
  date: string;
  /** First and last possible call start, epoch µs. */
  start: number;
  end: number;
  user: string;
  team: string;
  agent: string;
  model: string;
  session_id: string;
}
