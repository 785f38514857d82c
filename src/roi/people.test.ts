import { describe, expect, it } from 'vitest';
import type { GitChange } from './git-history.js';
import { parseIdentities, SAME_NAMES } from './identities.js';
import { peopleOf } from './people.js';

const DAY = 86_400_000_000;
const window = { since: 10 * DAY, until: 20 * DAY };

function change(email: string, day: number, over: Partial<GitChange> = {}): GitChange {
  return {
    sha: `${email}-${day}`,
    email,
    name: email.split('@')[0]!,
    ts: day * DAY,
    linesAdded: 10,
    linesDeleted: 2,
    reverts: null,
    reverted: false,
    branch: null,
    settledLines: 10,
    reworkedLines: 1,
    ...over,
  };
}
const usd = (n: number) => BigInt(n) * 1_000_000_000_000n;

describe("people: a window's git work and ledger spend, joined", () => {
  it("counts each person's changes in the window only, and what stayed", () => {
    const changes = [
      change('ana@acme.com', 9), // before the window
      change('ana@acme.com', 11),
      change('ana@acme.com', 12, { reverted: true }),
      change('ana@acme.com', 13, { reverts: 'abc' }),
      change('ana@acme.com', 20), // until is exclusive
    ];
    const [ana] = peopleOf(changes, [], SAME_NAMES, window).people;
    expect(ana).toMatchObject({ person: 'ana@acme.com', changes: 3, shipped: 1, reverted: 1, reverts: 1 });
    expect(ana).toMatchObject({ linesAdded: 30, linesDeleted: 6, settledLines: 30, reworkedLines: 3 });
  });

  it('an author who spent nothing is a person (the baseline); a spender git does not know is set apart', () => {
    const p = peopleOf(
      [change('ana@acme.com', 11), change('bo@acme.com', 11)],
      [
        { user: 'ANA@acme.com', cost_usd: usd(40), unpriced_events: 2, events: 10 },
        { user: 'carla', cost_usd: usd(7), unpriced_events: 0, events: 3 },
        { user: 'dan', cost_usd: usd(1), unpriced_events: 1, events: 1 },
        { user: null, cost_usd: usd(5), unpriced_events: 0, events: 4 },
      ],
      SAME_NAMES,
      window,
    );
    expect(p.people.map((x) => [x.person, x.spend, x.unpricedEvents])).toEqual([
      ['ana@acme.com', usd(40), 2],
      ['bo@acme.com', 0n, 0],
    ]);
    expect(p.unmatched).toEqual({ users: ['carla', 'dan'], cost_usd: usd(8), unpriced_events: 1 });
    expect(p.unattributed).toEqual({ cost_usd: usd(5), events: 4 });
  });

  it('a people file joins two emails and a login into one person, and keeps a named person who did nothing', () => {
    const ids = parseIdentities(
      'ana:\n  emails: [ana@acme.com, ana@home.net]\n  users: [alopez]\nlee:\n  users: [lee]\n',
      'people.yaml',
    );
    const p = peopleOf(
      [change('ana@acme.com', 11), change('ana@home.net', 12, { name: 'Ana L' })],
      [{ user: 'alopez', cost_usd: usd(3), unpriced_events: 0, events: 1 }],
      ids,
      window,
    );
    expect(p.people.map((x) => [x.person, x.changes, x.spend, x.names])).toEqual([
      ['ana', 2, usd(3), ['ana', 'Ana L']],
      ['lee', 0, 0n, []],
    ]);
    expect(p.unmatched.users).toEqual([]);
  });

  it("leaves bots' changes out and counts them", () => {
    const p = peopleOf(
      [
        change('49699333+dependabot[bot]@users.noreply.github.com', 11),
        change('bot@acme.com', 11, { name: 'renovate[bot]' }),
      ],
      [],
      SAME_NAMES,
      window,
    );
    expect(p.people).toEqual([]);
    expect(p.botChanges).toBe(2);
  });
});
