import { hex8, Rng, subSeed } from './prng.js';

export const DEMO_ORG = 'acme';

export const AGENTS = ['claude-code', 'codex', 'gemini-cli', 'cursor'] as const;
export type AgentId = (typeof AGENTS)[number];

export interface Team {
  name: string;
  /** Ticket prefix for task ids, e.g. PAY-1432. */
  key: string;
  /** Share of headcount. */
  weight: number;
  /** How heavily the team's people use coding agents, relative to each other (sales and finance code less). */
  usage: number;
  projects: readonly string[];
  /** Preference for claude-code, codex, gemini-cli, cursor (AGENTS order). */
  agents: readonly [number, number, number, number];
}

/** name, ticket key, headcount weight, agent usage, projects, agent preference (AGENTS order). */
export const TEAMS: readonly Team[] = [
  team('payments', 'PAY', 10, 1.2, 'payments-api checkout ledger-recon', [6, 2, 1, 2]),
  team('platform', 'PLAT', 12, 1.4, 'platform-core service-mesh dev-portal', [6, 3, 1, 1]),
  team('data', 'DATA', 9, 1.1, 'warehouse etl-pipelines metrics-layer', [4, 3, 3, 1]),
  team('mobile', 'MOB', 9, 1.0, 'ios-app android-app', [3, 2, 1, 5]),
  team('web', 'WEB', 11, 1.1, 'web-app design-system marketing-site', [4, 2, 1, 5]),
  team('infra', 'INFRA', 8, 1.2, 'terraform k8s-clusters observability', [5, 3, 2, 1]),
  team('ml', 'ML', 8, 1.5, 'ranking llm-eval feature-store', [5, 3, 3, 1]),
  team('growth', 'GRO', 7, 0.8, 'experiments onboarding', [3, 2, 1, 4]),
  team('security', 'SEC', 5, 0.9, 'appsec iam', [5, 3, 1, 1]),
  team('support', 'SUP', 9, 0.3, 'support-tools help-center', [2, 1, 2, 3]),
  team('sales-eng', 'SE', 7, 0.5, 'demos integrations', [3, 2, 2, 3]),
  team('finance', 'FIN', 5, 0.25, 'forecasting billing-reports', [2, 2, 3, 1]),
];

function team(
  name: string,
  key: string,
  weight: number,
  usage: number,
  projects: string,
  agents: Team['agents'],
): Team {
  return { name, key, weight, usage, projects: projects.split(' '), agents };
}

const FIRST = (
  'ana joao maria pedro sofia liam emma noah olivia lucas mia ethan chloe mateo zoe arjun priya wei mei ' +
  'kenji yuki omar layla ali fatima david sarah daniel hannah jonas lena felix clara marco giulia pablo ' +
  'lucia tom nina ravi aisha samuel grace ivan olga pierre camille tariq nadia erik ingrid kwame amara ' +
  'diego valentina hugo ines leo rosa max'
).split(' ');
const LAST = (
  'silva santos costa oliveira pereira smith johnson brown garcia martinez lee kim chen wang nguyen ' +
  'patel shah khan mueller schmidt fischer rossi bianchi dubois moreau lopez gonzalez tanaka sato ' +
  'suzuki ivanova novak kowalski jensen larsen hansen okafor mensah haddad rahman ali murphy obrien ' +
  'walsh kelly fernandes almeida rocha carvalho ribeiro torres ramos cohen levi berg lind nakamura ' +
  'singh gupta das'
).split(' ');

/** Offices as UTC offsets in minutes (New York, Lisbon, Berlin, San Francisco, Bangalore) and their share. */
const OFFSETS = [-300, 0, 60, -480, 330] as const;
const OFFSET_WEIGHTS = [45, 20, 15, 12, 8] as const;

export interface Person {
  index: number;
  user: string;
  team: number;
  project: string;
  otherProject: string;
  /** Relative spend intensity; the whole company averages 1. Log-normal, so a few people use 20-50x the median. */
  intensity: number;
  agent: AgentId;
  otherAgent: AgentId;
  /** Local time = UTC + offset. */
  offsetMin: number;
  /** Share of the person's Claude sessions on Opus rather than Sonnet: heavy users reach for the big model. */
  opusShare: number;
  apiKeyId: string;
}

/** Log-space sigma of intensity: the top 1% of people hold ~15% of usage, the median is ~0.4 of the mean. */
const INTENSITY_SIGMA = 1.35;

/** The company's people, a pure function of seed and headcount. Teams get headcount by weight, in blocks. */
export function buildPeople(seed: number, count: number): Person[] {
  const rng = new Rng(subSeed(seed, 1, 0));
  const totalWeight = TEAMS.reduce((s, t) => s + t.weight, 0);
  const offsetTotal = OFFSET_WEIGHTS.reduce((s, w) => s + w, 0);
  const taken = new Set<string>();
  const people: Person[] = [];
  let raw = 0;
  for (let i = 0; i < count; i++) {
    const team = teamAt((i + 0.5) / count, totalWeight);
    const t = TEAMS[team]!;
    const agentTotal = t.agents.reduce((s, w) => s + w, 0);
    const a = rng.pick(t.agents, agentTotal);
    let b = rng.pick(t.agents, agentTotal);
    if (b === a) b = (a + 1 + rng.int(0, AGENTS.length - 2)) % AGENTS.length;
    const intensity = t.usage * Math.exp(INTENSITY_SIGMA * rng.normal());
    raw += intensity;
    const p = rng.int(0, t.projects.length - 1);
    people.push({
      index: i,
      user: uniqueUser(rng, taken),
      team,
      project: t.projects[p]!,
      otherProject: t.projects[(p + 1) % t.projects.length]!,
      intensity,
      agent: AGENTS[a]!,
      otherAgent: AGENTS[b]!,
      offsetMin: OFFSETS[rng.pick(OFFSET_WEIGHTS, offsetTotal)]!,
      opusShare: 0,
      apiKeyId: `ak_${hex8(subSeed(seed, 2, i)).slice(0, 6)}`,
    });
  }
  // Normalised to mean 1 so the event count depends on headcount and days, not on the luck of a few draws.
  const scale = count > 0 ? count / raw : 1;
  for (const p of people) {
    p.intensity *= scale;
    p.opusShare = Math.min(0.6, 0.04 + 0.06 * Math.log1p(p.intensity));
  }
  return people;
}

function teamAt(q: number, totalWeight: number): number {
  let x = q * totalWeight;
  for (let i = 0; i < TEAMS.length; i++) {
    x -= TEAMS[i]!.weight;
    if (x < 0) return i;
  }
  return TEAMS.length - 1;
}

function uniqueUser(rng: Rng, taken: Set<string>): string {
  const base = `${FIRST[rng.int(0, FIRST.length - 1)]}.${LAST[rng.int(0, LAST.length - 1)]}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}${n}`;
  taken.add(name);
  return `${name}@${DEMO_ORG}.example`;
}
