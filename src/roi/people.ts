import type { GitChange } from './git-history.js';
import type { Identities } from './identities.js';

/** What one ledger user spent in the window (a row of the store's query by user). */
export interface UserSpend {
  user: string | null;
  /** Pico-dollars (money/money.ts). */
  cost_usd: bigint;
  unpriced_events: number;
  events: number;
}

/** One person's spend and outcomes over the window. */
export interface Person {
  person: string;
  /** The names git gave their changes, for display. */
  names: string[];
  /** Pico-dollars. */
  spend: bigint;
  /** Calls of theirs with no price: not in `spend`, which is then a floor. */
  unpricedEvents: number;
  /** Changes on the main line: commits made or pull requests merged onto it, reverts included. */
  changes: number;
  /** Changes that neither reverted another nor were reverted: the work that stayed. */
  shipped: number;
  reverted: number;
  reverts: number;
  linesAdded: number;
  linesDeleted: number;
  /** Lines they added whose rework window has closed, and of those the ones rewritten or deleted within it. */
  settledLines: number;
  reworkedLines: number;
}

export interface People {
  people: Person[];
  /**
   * Spend of ledger users who are nobody in git and not named in the people file: most often one person known by two
   * names, so their spend is left out of the tiers (beside no work) and listed for a people file to join.
   */
  unmatched: { users: string[]; cost_usd: bigint; unpriced_events: number };
  /** Spend of calls attributed to no user (a shared key, a service): nobody's. */
  unattributed: { cost_usd: bigint; events: number };
  /** Changes made by bots (an author name ending in "[bot]"): nobody's work to pay for. */
  botChanges: number;
}

/**
 * Joins the window's git changes and ledger spend into people. Everyone git shows working is a person, spending or
 * not (the non-users are the baseline the tiers are read against); a spender git does not know is a person only if
 * the people file names them, and everyone it names is one.
 */
export function peopleOf(
  changes: readonly GitChange[],
  spend: readonly UserSpend[],
  ids: Identities,
  window: { since: number; until: number },
): People {
  const people = new Map<string, Person>();
  const personOf = (key: string): Person => {
    let p = people.get(key);
    if (p === undefined) {
      p = {
        person: key,
        names: [],
        spend: 0n,
        unpricedEvents: 0,
        changes: 0,
        shipped: 0,
        reverted: 0,
        reverts: 0,
        linesAdded: 0,
        linesDeleted: 0,
        settledLines: 0,
        reworkedLines: 0,
      };
      people.set(key, p);
    }
    return p;
  };
  // A person the file names is on the team even in a window where they neither committed nor spent.
  for (const name of ids.named) personOf(name);
  let botChanges = 0;
  for (const c of changes) {
    if (c.ts < window.since || c.ts >= window.until) continue;
    if (isBot(c)) {
      botChanges++;
      continue;
    }
    const p = personOf(ids.personOfEmail(c.email));
    if (!p.names.includes(c.name)) p.names.push(c.name);
    p.changes++;
    if (c.reverted) p.reverted++;
    if (c.reverts !== null) p.reverts++;
    if (!c.reverted && c.reverts === null) p.shipped++;
    p.linesAdded += c.linesAdded;
    p.linesDeleted += c.linesDeleted;
    p.settledLines += c.settledLines;
    p.reworkedLines += c.reworkedLines;
  }
  const unmatched = { users: [] as string[], cost_usd: 0n, unpriced_events: 0 };
  const unattributed = { cost_usd: 0n, events: 0 };
  for (const s of spend) {
    if (s.user === null || s.user === '') {
      unattributed.cost_usd += s.cost_usd;
      unattributed.events += s.events;
      continue;
    }
    const key = ids.personOfUser(s.user);
    if (!people.has(key) && !ids.named.has(key)) {
      unmatched.users.push(s.user);
      unmatched.cost_usd += s.cost_usd;
      unmatched.unpriced_events += s.unpriced_events;
      continue;
    }
    const p = personOf(key);
    p.spend += s.cost_usd;
    p.unpricedEvents += s.unpriced_events;
  }
  unmatched.users.sort();
  const list = [...people.values()].sort((a, b) =>
    a.spend === b.spend ? a.person.localeCompare(b.person) : a.spend > b.spend ? -1 : 1,
  );
  return { people: list, unmatched, unattributed, botChanges };
}

/** GitHub's and GitLab's apps commit as "name[bot]"; their changes are nobody's work to pay for. */
function isBot(c: GitChange): boolean {
  return c.name.endsWith('[bot]') || /\[bot\]@/.test(c.email);
}
