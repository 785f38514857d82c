import type { Filter } from '../../store/query.js';

/** Who is asking: from the admin token, a `tokens create` token or a login session (auth.ts). */
export interface Principal {
  role: 'admin' | 'viewer';
  /** A team-scoped viewer sees only events of this team, in every endpoint. */
  team: string | null;
  /** Token id (`tok_…`), `server` for the server's own admin token, `login` for a login-link session. */
  id: string;
}

/**
 * Adds the principal's team scope to a query's filters. A filter the caller gave on `team` is intersected with the
 * scope, never replaced, so asking for another team's data through `where=team=X` yields nothing rather than X.
 * Pure; every data endpoint calls it, which is what the scoping tests lean on.
 */
export function scopeFilters(filters: readonly Filter[], p: Principal): Filter[] {
  if (p.team === null) return [...filters];
  const team = p.team;
  let values: (string | null)[] = [team];
  const rest: Filter[] = [];
  for (const f of filters) {
    if (f.dimension === 'team' && !f.exclude) values = values.filter((v) => f.values.includes(v));
    else rest.push(f);
  }
  return [...rest, { dimension: 'team', values }];
}

/** Whether an event of `team` is visible to the principal (single-event reads). */
export function canSee(p: Principal, team: string | null): boolean {
  return p.team === null || p.team === team;
}
