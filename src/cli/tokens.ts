import { TokenledgerError } from '../errors.js';
import { isApiToken, newToken, ROLES, type Role } from '../server/api/token-file.js';
import { type LedgerOptions, withRecords } from './context.js';

export interface TokensCreateOptions extends LedgerOptions {
  role?: string;
  team?: string;
}

/**
 * `tokenledger tokens create --role admin|viewer [--team T]`: an API and dashboard token, printed once alone on the
 * last line; only its hash is kept (token-file.ts). A running server picks it up within a second.
 */
export async function tokensCreate(o: TokensCreateOptions, out: (s: string) => void): Promise<string> {
  const role = (o.role ?? 'viewer') as Role;
  if (!ROLES.includes(role))
    throw new TokenledgerError('CLI_BAD_OPTION', `--role ${JSON.stringify(o.role)}: use admin or viewer`);
  const team = o.team?.trim() || null;
  if (team !== null && role === 'admin')
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      '--team applies to viewer tokens; an admin token sees every team',
    );
  const { token, record } = newToken(role, team, new Date());
  await withRecords(o, (r) => r.tokens.put(record));
  out(
    `Created ${role} token ${record.id}${team ? ` for team ${team}` : ''}. It is shown once; store it now:\n${token}\n`,
  );
  return token;
}

export async function tokensList(o: LedgerOptions, out: (s: string) => void): Promise<void> {
  const tokens = await withRecords(o, (r) => r.tokens.list());
  if (tokens.length === 0)
    out('No API tokens. Create one with: tokenledger tokens create --role viewer --team T\n');
  for (const t of tokens)
    out(
      `${t.id}  ${t.prefix}…  ${t.role}${t.team ? ` team=${t.team}` : ''}  created ${t.created_at}${t.revoked_at ? `  REVOKED ${t.revoked_at}` : ''}\n`,
    );
}

export async function tokensRevoke(
  o: LedgerOptions & { id: string },
  out: (s: string) => void,
): Promise<void> {
  await withRecords(o, async (r) => {
    const t = (await r.tokens.list()).find((x) => x.id === o.id);
    // A token pasted where its id belongs is a secret: the error, which lands in terminals and CI logs, shows only
    // the start of it, as tokens list does.
    if (t === undefined)
      throw new TokenledgerError(
        'CLI_TOKEN_NOT_FOUND',
        isApiToken(o.id)
          ? `${o.id.slice(0, 10)}… is a token, not its id: give the id (tok_…) that tokenledger tokens list shows`
          : `no API token ${JSON.stringify(o.id)}; see tokenledger tokens list`,
      );
    if (t.revoked_at === null) await r.tokens.put({ ...t, revoked_at: new Date().toISOString() });
    out(`Revoked ${t.id}.\n`);
  });
}
