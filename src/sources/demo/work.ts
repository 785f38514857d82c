import { DAY_US, dayFactor, isWeekend, localToUtc, workHour } from './calendar.js';
import { buildPlan, NON_ENGINEERING } from './company.js';
import { DEMO_ORG, TEAMS } from './org.js';
import { type DemoPlan, planDay } from './plan.js';
import { Rng, subSeed } from './prng.js';
import { branchOf } from './session.js';

/**
 * The demo organisation's work, as the commits of a repository per project (docs/demo.md, "The demo's
 * repositories"): what the ROI report sets beside the demo's spend. Made up like the spend, and made to show what
 * the report is for: each person ships at a pace of their own, lifted by their agent use with diminishing returns
 * (light users gain most per dollar, extreme users little more than heavy ones), and heavier users rework more of
 * their recent lines and revert a little more; changes made after an agent worked on a ticket are its pull request.
 * It illustrates the report; it proves nothing.
 */

/** One change on a repository's line, oldest first. */
export interface WorkCommit {
  /** The repository: the project's name, which its agents' calls carry as `project`. */
  repo: string;
  /**
   * The branch it was made on and merged from at once, as a pull request (the ticket's branch of the author's
   * agent session before it: session.ts branchOf); null for a change pushed onto the line.
   */
  branch: string | null;
  name: string;
  email: string;
  /** Author and commit time, epoch µs. */
  ts: number;
  message: string;
  /** Whole new contents of the files it changes, by path within its repository. */
  files: Map<string, string>;
  /** For a revert: the index (in the sequence) of the commit it reverts, whose sha its message must name. */
  reverts: number | null;
}

/** Changes a week of a person with no agent use, at the median pace (ability 1). */
const BASE_WEEKLY = 2;
/** Days after writing within which changing a line is rework: the report's window (roi/git-history.ts). */
const REWORK_DAYS = 21;
/** Files per project: a person works on one of them a week. */
const FILES = 10;
/** A change goes to the branch of its author's agent session on a ticket that began at most this long before it. */
const BRANCH_WITHIN_US = 2 * DAY_US;
/** Engineers who use no coding agent, as a share of the headcount: the report's baseline tier ("none"). */
const NON_USERS = 0.04;

interface Committer {
  name: string;
  email: string;
  team: number;
  projects: [string, string];
  offsetMin: number;
  /** Changes a weekday. */
  daily: number;
  /** Share of a change's added lines that rewrites the author's own recent lines. */
  rework: number;
  revert: number;
}

interface Line {
  text: string;
  author: number;
  ts: number;
}

/** The commits of the demo generated with these options, in time order (each repository's line order). */
export function* demoWork(opts: {
  seed: number;
  people: number;
  days: number;
  end: number;
}): Generator<WorkCommit> {
  const plan = buildPlan(opts);
  const committers = buildCommitters(plan);
  if (committers.length === 0) return;
  const start = opts.end - opts.days * DAY_US;
  const firstDay = Math.floor(start / DAY_US);
  const lastDay = Math.floor((opts.end - 1) / DAY_US);
  const tasks = taskSessions(plan, firstDay, lastDay);
  const files = new Map<string, Line[]>();
  let lineNo = 0;
  let index = 0;

  // Each project's first change lays it out, by the first of its team's people, at the range's start.
  for (const [team, t] of TEAMS.entries()) {
    const first = committers.find((c) => c.team === team) ?? committers[0]!;
    for (const project of t.projects) {
      yield {
        repo: project,
        branch: null,
        name: first.name,
        email: first.email,
        ts: Math.max(start, 0),
        message: `Lay out ${project}`,
        files: new Map([['README.md', `# ${project}\n\n${t.name}'s ${project}.\n`]]),
        reverts: null,
      };
      index++;
    }
  }

  for (let day = firstDay; day <= lastDay; day++) {
    const today: { ts: number; who: number; rng: Rng }[] = [];
    committers.forEach((c, who) => {
      const r = new Rng(subSeed(plan.seed, 72, who * 100_003 + day));
      const n = r.poisson(c.daily * dayFactor(day));
      for (let k = 0; k < n; k++) {
        const ts = localToUtc(day, workHour(r, isWeekend(day)), c.offsetMin);
        if (ts >= start && ts < opts.end) today.push({ ts, who, rng: r });
      }
    });
    today.sort((a, b) => a.ts - b.ts || a.who - b.who);
    for (const { ts, who, rng: r } of today) {
      const c = committers[who]!;
      const week = Math.floor((day + 4) / 7);
      const other = r.chance(0.8) ? c.projects[0] : c.projects[1];
      // The ticket the author's agent worked on lately, if any: the change is its pull request.
      const task = lastTask(tasks.get(c.email), ts);
      const repo = task?.project ?? other;
      const module = (who * 7 + week) % FILES;
      const path = `src/module-${module}.ts`;
      const key = `${repo}/${path}`;
      const lines = files.get(key) ?? [];
      const before = lines.slice();
      const reverted = r.chance(c.revert);
      const added = r.logNormalInt(18, 0.8, 1, 300);
      // Rework: the author's own lines of the last REWORK_DAYS, rewritten.
      const recent = lines.flatMap((l, i) =>
        l.author === who && ts - l.ts <= REWORK_DAYS * DAY_US ? [i] : [],
      );
      let redo = Math.min(recent.length, Math.round(added * c.rework * (0.5 + r.next())));
      while (redo-- > 0) {
        const pick = recent.splice(r.int(0, recent.length - 1), 1)[0]!;
        lines[pick] = { text: `export const v${++lineNo} = ${r.int(0, 9999)};`, author: who, ts };
      }
      const at = r.int(0, lines.length);
      const fresh: Line[] = [];
      for (let k = 0; k < added; k++)
        fresh.push({ text: `export const v${++lineNo} = ${r.int(0, 9999)};`, author: who, ts });
      lines.splice(at, 0, ...fresh);
      files.set(key, lines);
      const ticket = task?.ticket ?? `${TEAMS[c.team]!.key}-${1000 + r.int(0, 8999)}`;
      const message = `${ticket}: ${repo} module ${module}`;
      const commit = { repo, name: c.name, email: c.email, ts, message, reverts: null };
      yield { ...commit, branch: task?.branch ?? null, files: new Map([[path, textOf(lines)]]) };
      const original = index++;
      if (!reverted) continue;
      // Reverted within hours, before anyone else touches the file: the revert restores it exactly.
      files.set(key, before);
      yield {
        ...commit,
        branch: null,
        ts: ts + (20 + r.int(0, 100)) * 60_000_000,
        message: `Revert "${message}"`,
        files: new Map([[path, textOf(before)]]),
        reverts: original,
      };
      index++;
    }
  }
}

interface Task {
  start: number;
  project: string;
  ticket: string;
  branch: string;
}

/** Each person's agent sessions on a ticket, by ledger user, oldest first: the event generator's own plan. */
function taskSessions(plan: DemoPlan, firstDay: number, lastDay: number): Map<string, Task[]> {
  const byUser = new Map<string, Task[]>();
  for (let day = firstDay; day <= lastDay; day++)
    for (const s of planDay(plan, day)) {
      const branch = branchOf(s);
      if (branch === null || s.user === null) continue;
      const list = byUser.get(s.user) ?? [];
      list.push({ start: s.next, project: s.project, ticket: s.taskId!, branch });
      byUser.set(s.user, list);
    }
  for (const list of byUser.values()) list.sort((a, b) => a.start - b.start);
  return byUser;
}

/** The latest task begun within BRANCH_WITHIN_US before `ts`, or null. */
function lastTask(tasks: readonly Task[] | undefined, ts: number): Task | null {
  let found: Task | null = null;
  for (const t of tasks ?? []) {
    if (t.start >= ts) break;
    if (ts - t.start <= BRANCH_WITHIN_US) found = t;
  }
  return found;
}

function textOf(lines: readonly Line[]): string {
  return lines.length === 0 ? '' : `${lines.map((l) => l.text).join('\n')}\n`;
}

/**
 * Everyone who commits: the demo's people (their pace lifted by their spend against the median person's) and a few
 * engineers of their own who use no agent. A person's ledger user is their email, so the report joins the two
 * without a people file.
 */
function buildCommitters(plan: DemoPlan): Committer[] {
  const { seed, people } = plan;
  if (people.length === 0) return [];
  const sorted = people.map((p) => p.intensity).sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const committers: Committer[] = [];
  const pace = (r: Rng, team: number) =>
    (BASE_WEEKLY / 5.3) * Math.exp(0.35 * r.normal()) * (NON_ENGINEERING.has(TEAMS[team]!.name) ? 0.1 : 1);
  for (const p of people) {
    const r = new Rng(subSeed(seed, 70, p.index));
    const use = Math.log2(1 + p.intensity / median);
    committers.push({
      name: nameOf(p.user),
      email: p.user,
      team: p.team,
      projects: [p.project, p.otherProject],
      offsetMin: p.offsetMin,
      daily: pace(r, p.team) * Math.min(2.3, 1 + 0.45 * use),
      rework: Math.min(0.35, 0.06 + 0.05 * use),
      revert: 0.008 + (p.intensity > 10 * median ? 0.02 : p.intensity > 2 * median ? 0.008 : 0),
    });
  }
  const taken = new Set(people.map((p) => p.user));
  // Each works beside one of the engineers: the same team, projects and office.
  const { engineers } = plan;
  const nonUsers = engineers.length === 0 ? 0 : Math.round(people.length * NON_USERS);
  for (let i = 0; i < nonUsers; i++) {
    const r = new Rng(subSeed(seed, 73, i));
    const like = engineers[r.int(0, engineers.length - 1)]!;
    let email = `dev${i + 1}@${DEMO_ORG}.example`;
    for (let n = 2; taken.has(email); n++) email = `dev${i + 1}-${n}@${DEMO_ORG}.example`;
    taken.add(email);
    committers.push({
      name: `Dev ${i + 1}`,
      email,
      team: like.team,
      projects: [like.project, like.otherProject],
      offsetMin: like.offsetMin,
      daily: pace(r, like.team),
      rework: 0.06,
      revert: 0.008,
    });
  }
  return committers;
}

/** `ana.silva@acme.example` → `Ana Silva`. */
function nameOf(email: string): string {
  const local = email.slice(0, email.indexOf('@'));
  return local
    .split('.')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
