import { createHash, randomBytes } from 'node:crypto';
import type { FileRecordKind } from '../../records/record-set.js';

/**
 * API tokens live in `<ledger>.tokens.json` beside a DuckDB ledger (mode 0600) and in a ClickHouse ledger's
 * database, like the gateway's virtual keys: only the SHA-256 of each token is stored. Tokens are 192 random bits, so
 * a fast hash is as safe as a slow one.
 */
export function tokenFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.tokens.json`;
}

const API_TOKEN_PREFIX = 'tla_';
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

/** Whether `text` is a token itself (a secret), not a token's id. */
export function isApiToken(text: string): boolean {
  return text.startsWith(API_TOKEN_PREFIX);
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

export const TOKEN_RECORDS: FileRecordKind = {
  name: 'tokens',
  read: ['API_TOKENS_READ', 'API tokens'],
  corrupt: ['API_TOKENS_CORRUPT', 'not an API tokens file; move it away and create tokens again'],
};
