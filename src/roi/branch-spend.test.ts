import { describe, expect, it } from 'vitest';
import { type BranchHour, spendBehindMerges } from './branch-spend.js';
import type { GitChange } from './git-history.js';

const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;
const usd = (n: number) => BigInt(n) * 1_000_000_000_000n;

function merge(sha: string, branch: string | null, ts: number, over: Partial<GitChange> = {}): GitChange {
  return {
    sha,
    email: 'ana@acme.com',
    name: 'Ana',
    ts,
    linesAdded: 1,
    linesDeleted: 0,
    reverts: null,
    reverted: false,
    branch,
    settledLines: 0,
    reworkedLines: 0,
    ...over,
  };
}
const hour = (project: string, branch: string, at: number, dollars: number): BranchHour => ({
  project,
  branch,
  hour: Math.floor(at / HOUR) * HOUR,
  cost_usd: usd(dollars),
  events: 1,
  unpriced_events: 0,
});
const window = { since: 100 * DAY, until: 200 * DAY };

describe("agents' spend behind merged branches", () => {
  it("counts a branch's calls in its repository's project up to its merge, costliest merge first", () => {
    const s = spendBehindMerges(
      [
        {
          repo: '/src/api',
          project: 'api',
          changes: [
            merge('a', 'fix-login', 120 * DAY),
            merge('b', 'retries', 130 * DAY, { reverted: true }),
            merge('c', null, 131 * DAY), // a squash merge: no branch named
            merge('d', 'docs', 140 * DAY), // merged with no calls on it
          ],
        },
      ],
      [
        hour('api', 'fix-login', 110 * DAY, 5),
        hour('api', 'fix-login', 120 * DAY - 1, 7),
        hour('api', 'fix-login', 121 * DAY, 100), // after the merge: other work
        hour('web', 'fix-login', 119 * DAY, 50), // another project's branch of the same name
        hour('api', 'retries', 129 * DAY, 30),
      ],
      window,
    );
    expect(s.merges).toBe(3);
    expect(s.spent.map((m) => [m.sha, m.cost_usd, m.events, m.reverted])).toEqual([
      ['b', usd(30), 1, true],
      ['a', usd(12), 2, false],
    ]);
    expect(s.total).toBe(usd(42));
    expect(s.reverted).toBe(usd(30));
    expect(s.median).toBe(usd(21));
  });

  it('a branch merged twice: the second merge counts only the calls after the first', () => {
    const s = spendBehindMerges(
      [
        {
          repo: '/src/api',
          project: 'api',
          changes: [merge('old', 'fix-tests', 95 * DAY), merge('new', 'fix-tests', 105 * DAY)],
        },
      ],
      [hour('api', 'fix-tests', 94 * DAY, 3), hour('api', 'fix-tests', 104 * DAY, 4)],
      window,
    );
    // The first merge is before the window: not listed, but it ends what the second one counts.
    expect(s.spent.map((m) => [m.sha, m.cost_usd])).toEqual([['new', usd(4)]]);
  });

  it('counts no call made more than 30 days before the merge', () => {
    const s = spendBehindMerges(
      [{ repo: '/src/api', project: 'api', changes: [merge('a', 'long', 150 * DAY)] }],
      [hour('api', 'long', 119 * DAY, 9), hour('api', 'long', 121 * DAY, 1)],
      window,
    );
    expect(s.spent[0]!.cost_usd).toBe(usd(1));
    expect(spendBehindMerges([], [], window)).toEqual({
      merges: 0,
      spent: [],
      total: 0n,
      reverted: 0n,
      median: null,
    });
  });
});
