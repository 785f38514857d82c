import { planApps } from './apps.js';
import { dayFactor, isWeekend, localToUtc, workHour } from './calendar.js';
import { AGENT_SYSTEM_TOKENS, type DemoModel, MODELS } from './models.js';
import { type AgentId, type Person, TEAMS } from './org.js';
import { hex8, mix32, Rng, subSeed } from './prng.js';
import { Kind, Session, type SessionInit } from './session.js';
import { AGENT_CALLS, RATES } from './volumes.js';

/** Session numbers of a day stay below this, so (day, number) maps one-to-one onto a 32-bit id. */
const SESSIONS_PER_DAY = 131_072;
/** The runaway loop's session number: no ordinary session reaches it. */
export const INCIDENT_SESSION = SESSIONS_PER_DAY - 1;

export interface DemoPlan {
  seed: number;
  people: readonly Person[];
  engineers: readonly Person[];
  sales: readonly Person[];
  incident: { day: number; person: Person; start: number; end: number } | null;
}

/** Session id: 8 hex digits, unique per (day, number) under one seed, stable whatever range is generated. */
export function sessionKey(seed: number, day: number, n: number): string {
  return hex8(mix32(((day * SESSIONS_PER_DAY + n) ^ subSeed(seed, 3, 0)) >>> 0));
}

/** Collects one day's sessions, numbering them and giving each its own random stream. */
export class DayPlan {
  readonly rng: Rng;
  readonly weekend: boolean;
  /** Weekday 1, weekend WEEKEND_FACTOR. */
  readonly factor: number;
  readonly sessions: Session[] = [];
  private readonly base: number;

  constructor(
    readonly plan: DemoPlan,
    readonly day: number,
  ) {
    this.rng = new Rng(subSeed(plan.seed, 10, day));
    this.base = subSeed(plan.seed, 11, day);
    this.weekend = isWeekend(day);
    this.factor = dayFactor(day);
  }

  /** The key the next added session gets. */
  nextKey(): string {
    return sessionKey(this.plan.seed, this.day, this.sessions.length);
  }

  add(init: SessionInit, n = this.sessions.length): void {
    if (n >= INCIDENT_SESSION && init.kind !== Kind.runaway) return;
    this.sessions.push(
      new Session(init, new Rng(mix32((this.base + n) >>> 0)), sessionKey(this.plan.seed, this.day, n)),
    );
  }
}

/**
 * Every session that starts on UTC day `day` (all start at or after the day's midnight, the generator's merge
 * relies on it). A pure function of the plan and the day, so a date looks the same in any generated range.
 */
export function planDay(plan: DemoPlan, day: number): Session[] {
  const d = new DayPlan(plan, day);
  for (const p of plan.people) {
    const count = d.rng.poisson(RATES.agentSessions * p.intensity * d.factor);
    for (let i = 0; i < count; i++) d.add(agentSession(d, p));
  }
  planApps(d);
  const inc = plan.incident;
  if (inc && inc.day === day) {
    const init = agentSession(d, inc.person);
    init.kind = Kind.runaway;
    init.start = inc.start;
    init.calls = Number.MAX_SAFE_INTEGER;
    init.until = inc.end;
    init.model = MODELS.opus;
    init.agent = 'claude-code';
    init.apiKeyId = inc.person.apiKeyId;
    init.taskId = null;
    init.sessionId = sessionKey(plan.seed, day, INCIDENT_SESSION);
    d.add(init, INCIDENT_SESSION);
  }
  return d.sessions;
}

function agentSession(d: DayPlan, p: Person): SessionInit {
  const rng = d.rng;
  const agent: AgentId = rng.chance(0.85) ? p.agent : p.otherAgent;
  const team = TEAMS[p.team]!;
  return {
    kind: Kind.agent,
    start: localToUtc(d.day, workHour(rng, d.weekend), p.offsetMin),
    calls: rng.logNormalInt(AGENT_CALLS.median, AGENT_CALLS.sigma, 3, 250),
    model: agentModel(rng, agent, p),
    sys: Math.round(AGENT_SYSTEM_TOKENS[agent] * (1 + 0.05 * rng.normal())),
    team: team.name,
    user: p.user,
    project: rng.chance(0.8) ? p.project : p.otherProject,
    agent,
    sessionId: d.nextKey(),
    taskId: rng.chance(0.4) ? `${team.key}-${rng.int(100, 4999)}` : null,
    // Cursor bills through its own account; the CLIs use the person's API key.
    apiKeyId: agent === 'cursor' ? null : p.apiKeyId,
  };
}

function agentModel(rng: Rng, agent: AgentId, p: Person): DemoModel {
  const x = rng.next();
  switch (agent) {
    case 'claude-code':
      return x < p.opusShare ? MODELS.opus : MODELS.sonnet;
    case 'codex':
      return x < 0.85 ? MODELS.gpt5 : MODELS.gpt5mini;
    case 'gemini-cli':
      return x < 0.7 ? MODELS.geminiPro : MODELS.geminiFlash;
    case 'cursor':
      return x < 0.45 ? MODELS.sonnet : x < 0.8 ? MODELS.gpt5 : x < 0.92 ? MODELS.geminiPro : MODELS.opus;
    default:
      return agent satisfies never;
  }
}
