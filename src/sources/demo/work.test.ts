import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DAY_US } from './calendar.js';
import { generateDemo } from './generate.js';
import { buildPeople, TEAMS } from './org.js';
import { demoWork, type WorkCommit } from './work.js';

/** Friday 2025-11-21 00:00 UTC, as the event generator's tests. */
const END = Date.UTC(2025, 10, 21) * 1000;
const opts = { seed: 42, people: 60, days: 21, end: END };

const digest = (commits: Iterable<WorkCommit>) => {
  const h = createHash('sha256');
  for (const c of commits)
    h.update(JSON.stringify([c.repo, c.branch, c.email, c.ts, c.message, [...c.files], c.reverts]));
  return h.digest('hex');
};

describe("the demo organisation's commits", () => {
  const commits = [...demoWork(opts)];

  it('are the same for the same options, and others for another seed', () => {
    expect(digest(demoWork(opts))).toBe(digest(commits));
    expect(digest(demoWork({ ...opts, seed: 43 }))).not.toBe(digest(commits));
  });

  it("lie within the demo's range, one after another on the line but for a revert's own hour", () => {
    for (const c of commits) {
      expect(c.ts).toBeGreaterThanOrEqual(END - opts.days * DAY_US);
      expect(c.ts).toBeLessThan(END + 3 * 3_600_000_000);
    }
    const unreverting = commits.filter((c) => c.reverts === null).map((c) => c.ts);
    expect(unreverting).toEqual([...unreverting].sort((a, b) => a - b));
  });

  it("are by the demo's people, by their ledger user, and by a few engineers who use no agent", () => {
    const users = new Set(buildPeople(42, opts.people).map((p) => p.user));
    const authors = new Set(commits.map((c) => c.email));
    const others = [...authors].filter((e) => !users.has(e));
    expect(others.length).toBeGreaterThan(0);
    for (const e of others) expect(e).toMatch(/^dev\d+(-\d+)?@acme\.example$/);
    expect(authors.size - others.length).toBeGreaterThan(opts.people / 2);
  });

  it('revert a change by putting its file back as it was before it, right after it', () => {
    const files = new Map<string, string>();
    const before: Map<string, string>[] = [];
    let reverts = 0;
    commits.forEach((c, i) => {
      before.push(new Map([...c.files.keys()].map((p) => [p, files.get(`${c.repo}/${p}`) ?? ''])));
      if (c.reverts !== null) {
        reverts++;
        expect(c.reverts).toBe(i - 1);
        expect([c.repo, c.email, c.branch]).toEqual([commits[i - 1]!.repo, commits[i - 1]!.email, null]);
        expect(c.message).toBe(`Revert "${commits[i - 1]!.message}"`);
        expect(c.files).toEqual(before[i - 1]);
      }
      for (const [p, text] of c.files) files.set(`${c.repo}/${p}`, text);
    });
    expect(reverts).toBeGreaterThan(0);
  });

  it("are made on the branch of their author's agent session on a ticket, in its project, when one began", () => {
    // The calls of the same demo: each branch a change was merged from is one its author's agent worked on before.
    const worked = new Set<string>();
    for (const e of generateDemo({ ...opts, ingestedAt: END }))
      if (e.tags.git_branch !== undefined) worked.add(`${e.user} ${e.project} ${e.tags.git_branch}`);
    const onBranches = commits.filter((c) => c.branch !== null);
    expect(onBranches.length).toBeGreaterThan(commits.length / 4);
    for (const c of onBranches) {
      expect(worked.has(`${c.email} ${c.repo} ${c.branch}`)).toBe(true);
      expect(c.message.startsWith(`${c.branch!.toUpperCase()}: `)).toBe(true);
    }
  });

  it("lift each person's pace with their agent use, by less at each step up", () => {
    // The default demo: people grouped as the ROI report's tiers group them, by spend intensity against the median's.
    const all = { ...opts, people: 300, days: 30 };
    const people = buildPeople(42, all.people);
    const sorted = people.map((p) => p.intensity).sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    const shipped = new Map<string, number>();
    for (const c of demoWork(all))
      if (c.reverts === null) shipped.set(c.email, (shipped.get(c.email) ?? 0) + 1);
    const engineers = people.filter(
      (p) => !['support', 'sales-eng', 'finance'].includes(TEAMS[p.team]!.name),
    );
    const tiers = [0.5, 2, 10, Number.POSITIVE_INFINITY].map((upTo, i, ups) => {
      const inTier = engineers.filter(
        (p) => p.intensity / median < upTo && p.intensity / median >= (ups[i - 1] ?? 0),
      );
      const mean = (f: (p: (typeof people)[number]) => number) =>
        inTier.reduce((n, p) => n + f(p), 0) / inTier.length;
      return { use: mean((p) => p.intensity / median), shipped: mean((p) => shipped.get(p.user) ?? 0) };
    });
    const gains = tiers.slice(1).map((t, i) => (t.shipped - tiers[i]!.shipped) / (t.use - tiers[i]!.use));
    for (const g of gains) expect(g).toBeGreaterThan(0);
    expect(gains).toEqual([...gains].sort((a, b) => b - a));
  });
});
