import { TokenledgerError } from '../errors.js';
import { hashKey, isVirtualKey, newKey, type VirtualKeyRecord } from '../gateway/keys/virtual-key.js';
import { parseTimeAhead } from '../ledger/time.js';
import { formatUsdDisplay, formatUsdOf, isPositiveUsd, parseUsd } from '../money/money.js';
import { keysEndpoint } from '../server/api/info.js';
import { askLedgerIfAny } from './ask-ledger.js';
import { type LedgerOptions, withRecords } from './context.js';

export interface KeysCreateOptions extends LedgerOptions {
  team?: string;
  user?: string;
  project?: string;
  org?: string;
  agent?: string;
  /** Monthly budget in USD, a decimal such as "250" or "99.50". */
  budget?: string;
  /** Keep the prompt and completion text of this key's calls (docs/gateway.md, "Prompt and completion text"). */
  storeContent?: boolean;
  /** The models its callers may ask for: a comma-separated list of names or globs (`gpt-4o-mini,claude-haiku-*`). */
  models?: string;
  /** When it stops working: a duration from now (`30d`, `12h`) or a date/time (`2027-01-01`). */
  expires?: string;
}

/**
 * `tokenledger keys create`: prints the new key once, alone on the last line of stdout (scripts take the last line);
 * only its hash is stored. Works whether or not the server runs: the server reads the keys again when they change.
 */
export async function keysCreate(o: KeysCreateOptions, out: (s: string) => void): Promise<string> {
  const budget = o.budget === undefined ? null : monthlyBudget(o.budget);
  const expires = o.expires === undefined ? undefined : expiry(o.expires);
  const { key, id, hash } = newKey();
  const record: VirtualKeyRecord = {
    id,
    hash,
    prefix: key.slice(0, PREFIX_LENGTH),
    org: o.org ?? null,
    team: o.team ?? null,
    user: o.user ?? null,
    project: o.project ?? null,
    agent: o.agent ?? null,
    budget_usd: budget,
    store_content: o.storeContent === true,
    ...(o.models === undefined ? {} : { models: modelList(o.models) }),
    ...(expires === undefined ? {} : { expires_at: expires }),
    created_at: new Date().toISOString(),
    revoked_at: null,
  };
  await withRecords(o, (r) => r.keys.put(record));
  out(`Created virtual key ${id} (${describe(record)}). It is shown once; store it now:\n${key}\n`);
  return key;
}

export async function keysList(
  o: LedgerOptions & { all?: boolean },
  out: (s: string) => void,
): Promise<void> {
  const keys = await withRecords(o, (r) => r.keys.list());
  const shown = o.all ? keys : keys.filter((k) => k.revoked_at === null);
  if (shown.length === 0) {
    out('No virtual keys. Create one with: tokenledger keys create --team T --user U --project P\n');
    return;
  }
  const spent = await monthSpend(o);
  for (const k of shown)
    out(
      `${k.id}  ${k.prefix}…  ${describe(k)}  created ${k.created_at}${expiryText(k)}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}${spendText(k, spent.get(k.id))}\n`,
    );
}

/**
 * What each key spent this UTC month (its budget's period), from the running server or the ledger file; nothing
 * before the ledger exists (keys can be made first).
 */
async function monthSpend(o: LedgerOptions): Promise<Map<string, string>> {
  const keys = await askLedgerIfAny<{ id: string; month_spend_usd: string }[]>(o, keysEndpoint);
  return new Map(keys?.map((k) => [k.id, k.month_spend_usd]));
}

function spendText(k: VirtualKeyRecord, spent: string | undefined): string {
  if (spent === undefined) return '';
  if (k.budget_usd === null) return `  spent ${formatUsdDisplay(spent)} this month`;
  const percent = Number((parseUsd(spent) * 10_000n) / parseUsd(k.budget_usd)) / 100;
  return `  spent ${formatUsdOf(spent, k.budget_usd)} this month (${percent.toFixed(0)}%)`;
}

/**
 * `tokenledger keys update ID --budget USD`: a key's monthly budget raised or lowered. A running server reads the
 * keys again and applies it to the next call, counting what the key spent this month (the budget's counter stays).
 * Only a key that has a budget: one without was counted against no limit while the server ran, so a limit given now
 * would start from nothing until a restart; such a key is replaced by a new one made with --budget.
 */
export async function keysUpdate(
  o: LedgerOptions & { id: string; budget?: string; models?: string; expires?: string },
  out: (s: string) => void,
): Promise<void> {
  if (o.budget === undefined && o.models === undefined && o.expires === undefined)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      'nothing to change: give --budget USD, --models LIST or --expires WHEN',
    );
  // `never` takes the expiry away.
  const expires = o.expires === undefined || o.expires.trim() === 'never' ? undefined : expiry(o.expires);
  const budget = o.budget === undefined ? undefined : monthlyBudget(o.budget);
  // `any` lifts the limit: the key may ask for every model again.
  const models = o.models === undefined || o.models.trim() === 'any' ? undefined : modelList(o.models);
  await withRecords(o, async (r) => {
    const k = findKey(await r.keys.list(), o.id);
    if (k.revoked_at !== null)
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `${k.id} was revoked at ${k.revoked_at}; it takes no change`,
      );
    if (budget !== undefined && k.budget_usd === null)
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `${k.id} has no budget, and its spend was counted against none: create a key with --budget and revoke this one`,
      );
    const { models: was, expires_at: ends, ...rest } = k;
    const limit = o.models === undefined ? was : models;
    const until = o.expires === undefined ? ends : expires;
    const updated: VirtualKeyRecord = {
      ...rest,
      ...(budget === undefined ? {} : { budget_usd: budget }),
      ...(limit === undefined ? {} : { models: limit }),
      ...(until === undefined ? {} : { expires_at: until }),
    };
    await r.keys.put(updated);
    out(`Updated ${k.id} (${describe(updated)}).\n`);
  });
}

export async function keysRevoke(o: LedgerOptions & { id: string }, out: (s: string) => void): Promise<void> {
  await withRecords(o, async (r) => {
    const k = findKey(await r.keys.list(), o.id);
    if (k.revoked_at === null) await r.keys.put({ ...k, revoked_at: new Date().toISOString() });
    out(`Revoked ${k.id}.\n`);
  });
}

/** How much of a key `keys list` shows (its record's `prefix`): enough to recognise it, too little to use it. */
const PREFIX_LENGTH = 10;

/** By id (vk_…) or by the key itself, which is hashed like the stored ones. */
function findKey(keys: VirtualKeyRecord[], idOrKey: string): VirtualKeyRecord {
  const key = isVirtualKey(idOrKey);
  const k = keys.find((x) => x.id === idOrKey || (key && x.hash === hashKey(idOrKey)));
  // A key is a secret even when it is not this ledger's (another ledger's, a live one mistyped): the error, which
  // lands in terminals and CI logs, names it as `keys list` does.
  const named = key ? `${idOrKey.slice(0, PREFIX_LENGTH)}…` : JSON.stringify(idOrKey);
  if (k === undefined)
    throw new TokenledgerError('CLI_KEY_NOT_FOUND', `no virtual key ${named}; see tokenledger keys list`);
  return k;
}

/** `--models`' list: names or globs (`*`, `?`) separated by commas, at least one. */
function modelList(text: string): string[] {
  const models = [...new Set(text.split(',').map((m) => m.trim()))].filter((m) => m !== '');
  if (models.length > 0) return models;
  throw new TokenledgerError(
    'CLI_BAD_OPTION',
    `--models ${JSON.stringify(text)}: expected model names or globs separated by commas, such as gpt-4o-mini,claude-haiku-*`,
  );
}

/** `--expires`' time: a duration from now or a date/time, in the future. */
function expiry(text: string): string {
  const now = Date.now() * 1000;
  let at: number;
  try {
    at = parseTimeAhead(text, now);
  } catch {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--expires ${JSON.stringify(text)}: expected a time from now like 30d, 12h, 2w, or a date like 2027-01-01`,
    );
  }
  if (at <= now)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--expires ${JSON.stringify(text)} is in the past: a key that is over is revoked (tokenledger keys revoke)`,
    );
  return new Date(at / 1000).toISOString();
}

/** `expires …` in `keys list`, `EXPIRED …` once that time has come. */
function expiryText(k: VirtualKeyRecord): string {
  if (k.expires_at === undefined) return '';
  return Date.parse(k.expires_at) <= Date.now() ? `  EXPIRED ${k.expires_at}` : `  expires ${k.expires_at}`;
}

/** `--budget`'s monthly USD amount: a positive decimal. */
function monthlyBudget(text: string): string {
  if (isPositiveUsd(text.trim())) return text.trim();
  throw new TokenledgerError(
    'CLI_BAD_OPTION',
    `--budget ${JSON.stringify(text)}: expected a positive USD amount such as 250 or 99.50`,
  );
}

function describe(k: VirtualKeyRecord): string {
  const parts = (['org', 'team', 'user', 'project', 'agent'] as const)
    .filter((f) => k[f] !== null)
    .map((f) => `${f}=${k[f]}`);
  if (k.budget_usd !== null) parts.push(`budget=${formatUsdDisplay(k.budget_usd)}/month`);
  if (k.models !== undefined) parts.push(`models=${k.models.join(',')}`);
  if (k.store_content) parts.push('stores prompt and completion text');
  return parts.join(' ') || 'no attribution';
}
