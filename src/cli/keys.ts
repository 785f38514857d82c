import { TokenledgerError } from '../errors.js';
import { keyFilePath, readKeys, writeKeys } from '../gateway/keys/key-file.js';
import { hashKey, isVirtualKey, newKey, type VirtualKeyRecord } from '../gateway/keys/virtual-key.js';
import { parseDecimal } from '../money/money.js';
import { type LedgerOptions, ledgerPath } from './context.js';

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
}

/**
 * `tokenledger keys create`: prints the new key once, alone on the last line of stdout (scripts take the last line);
 * only its hash is stored. Works whether or not the server runs: the server rereads the keys file when it changes.
 */
export async function keysCreate(o: KeysCreateOptions, out: (s: string) => void): Promise<string> {
  let budget: string | null = null;
  if (o.budget !== undefined) {
    try {
      if (parseDecimal(o.budget) <= 0n) throw new Error('not positive');
      budget = o.budget.trim();
    } catch {
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `--budget ${JSON.stringify(o.budget)}: expected a positive USD amount such as 250 or 99.50`,
      );
    }
  }
  const path = keyFilePath(ledgerPath(o));
  const keys = await readKeys(path);
  const { key, id, hash } = newKey();
  const record: VirtualKeyRecord = {
    id,
    hash,
    prefix: key.slice(0, 10),
    org: o.org ?? null,
    team: o.team ?? null,
    user: o.user ?? null,
    project: o.project ?? null,
    agent: o.agent ?? null,
    budget_usd: budget,
    store_content: o.storeContent === true,
    created_at: new Date().toISOString(),
    revoked_at: null,
  };
  await writeKeys(path, [...keys, record]);
  out(`Created virtual key ${id} (${describe(record)}). It is shown once; store it now:\n${key}\n`);
  return key;
}

export async function keysList(
  o: LedgerOptions & { all?: boolean },
  out: (s: string) => void,
): Promise<void> {
  const keys = await readKeys(keyFilePath(ledgerPath(o)));
  const shown = o.all ? keys : keys.filter((k) => k.revoked_at === null);
  if (shown.length === 0) {
    out('No virtual keys. Create one with: tokenledger keys create --team T --user U --project P\n');
    return;
  }
  for (const k of shown)
    out(
      `${k.id}  ${k.prefix}…  ${describe(k)}  created ${k.created_at}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}\n`,
    );
}

export async function keysRevoke(o: LedgerOptions & { id: string }, out: (s: string) => void): Promise<void> {
  const path = keyFilePath(ledgerPath(o));
  const keys = await readKeys(path);
  // By id (vk_…) or by the key itself, which is hashed like the stored ones.
  const k = keys.find((x) => x.id === o.id || (isVirtualKey(o.id) && x.hash === hashKey(o.id)));
  if (k === undefined)
    throw new TokenledgerError(
      'CLI_KEY_NOT_FOUND',
      `no virtual key ${JSON.stringify(o.id)}; see tokenledger keys list`,
    );
  if (k.revoked_at === null) {
    k.revoked_at = new Date().toISOString();
    await writeKeys(path, keys);
  }
  out(`Revoked ${k.id}.\n`);
}

function describe(k: VirtualKeyRecord): string {
  const parts = (['org', 'team', 'user', 'project', 'agent'] as const)
    .filter((f) => k[f] !== null)
    .map((f) => `${f}=${k[f]}`);
  if (k.budget_usd !== null) parts.push(`budget=$${k.budget_usd}/month`);
  if (k.store_content) parts.push('stores prompt and completion text');
  return parts.join(' ') || 'no attribution';
}
