import type { AlertInput } from './alerts/alert.js';

/**
 * What every runaway alert shares, whichever detector found it (the ledger scan or the gateway's live watch): the
 * same dedup key per session, so the two never alert twice for one runaway, and the same scope.
 */
export function runawayAlertBase(
  dimension: 'session_id' | 'agent',
  value: string,
  who: { team: string | null; user: string | null; agent: string | null },
): Pick<AlertInput, 'kind' | 'severity' | 'dedup_key' | 'scope'> {
  return {
    kind: 'runaway',
    severity: 'critical',
    dedup_key: `runaway:${dimension}:${value}`,
    scope: {
      [dimension]: value,
      ...(who.team ? { team: who.team } : {}),
      ...(who.user ? { user: who.user } : {}),
      ...(who.agent ? { agent: who.agent } : {}),
    },
  };
}
