import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { TokenledgerError } from '../../errors.js';

/**
 * API tokens live in `<ledger>.tokens.json` beside the ledger (mode 0600), like the gateway's virtual keys: only
 * the SHA-256 of each token is stored. Tokens are 192 random bits, so a fast hash is as safe as a slow one.
 */
export function tokenFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.tokens.json`;
}

export const API_TOKEN_PREFIX = 'tla_';
export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiTokenRecord {
  id: string;
  hash: string;
  prefix: string;
  role: Role;
  /** Viewers only: the one team whose data the token may read. */
  team: string | null;
  created_at: string;
  revoked_at: string | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(
  role: Role,
  team: string | null,
  now: Date,
): { token: string; record: ApiTokenRecord } {
  const token = API_TOKEN_PREFIX + randomBytes(24).toString('base64url');
  const hash = hashToken(token);
  return {
    token,
    record: {
      id: `tok_${hash.slice(0, 12)}`,
      hash,
      prefix: token.slice(0, 10),
      role,
      team,
      created_at: now.toISOString(),
      revoked_at: null,
    },
  };
}

export async function readTokens(path: string): Promise<ApiTokenRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TokenledgerError(
      'API_TOKENS_READ',
      `${path}: cannot read the API tokens (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  try {
    const file = JSON.parse(text) as { version: number; tokens: ApiTokenRecord[] };
    if (file.version !== 1 || !Array.isArray(file.tokens))
      throw new Error('expected {"version":1,"tokens":[…]}');
    return file.tokens;
  } catch (e) {
    throw new TokenledgerError(
      'API_TOKENS_CORRUPT',
      `${path}: not an API tokens file (${(e as Error).message}); move it away and create tokens again`,
      { cause: e },
    );
  }
}

/** Written to a temporary file and renamed, so the server never reads half a file. */
export async function writeTokens(path: string, tokens: readonly ApiTokenRecord[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/**
 * Changes whenever the file is rewritten: writes rename a new file into place, so the inode changes even when two
 * writes land within the file system's timestamp granularity. "" when the file is missing.
 */
export async function fileSignature(path: string): Promise<string> {
  try {
    const st = await stat(path);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return '';
  }
}
