import { createHash, randomBytes } from 'node:crypto';

/** Every virtual key starts with this, so the gateway tells ours from a provider's key without a lookup. */
const VIRTUAL_KEY_PREFIX = 'tlk_';

/** A stored virtual key: attribution and limits, never the key itself. */
export interface VirtualKeyRecord {
  /** Public id recorded on events as `api_key_id`. */
  id: string;
  /** SHA-256 of the key, hex. Keys are 192 random bits, so a fast hash is as safe as a slow one here. */
  hash: string;
  /** The first characters of the key, to recognise it in `keys list`. */
  prefix: string;
  org: string | null;
  team: string | null;
  user: string | null;
  project: string | null;
  agent: string | null;
  /** Monthly budget in USD as a decimal string (enforced by the budgets module). */
  budget_usd: string | null;
  /** Opt-in to storing prompt and completion text (off unless asked). */
  store_content: boolean;
  /**
   * The models a caller with this key may ask for, as globs (`gpt-4o-mini`, `claude-haiku-*`); absent: any. Keys made
   * before this field have none.
   */
  models?: readonly string[];
  /** When the key stops working (ISO-8601 UTC): `keys create --expires`. Absent: never. */
  expires_at?: string;
  created_at: string;
  revoked_at: string | null;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new random key and the id derived from its hash. */
export function newKey(): { key: string; id: string; hash: string } {
  const key = VIRTUAL_KEY_PREFIX + randomBytes(24).toString('base64url');
  const hash = hashKey(key);
  return { key, id: `vk_${hash.slice(0, 12)}`, hash };
}

export function isVirtualKey(key: string): boolean {
  return key.startsWith(VIRTUAL_KEY_PREFIX);
}
