/**
 * An alert: something a person should look at now. Budgets crossing a threshold, spend anomalies, runaway sessions
 * and lost counters (Redis down) all raise one. Alerts are stored (listed by `tokenledger alerts` and the API),
 * deduplicated by `dedup_key`, and delivered to webhooks in the background: raising one never waits on delivery.
 */
export const ALERT_KINDS = ['budget_threshold', 'budget_blocked', 'anomaly', 'runaway', 'counters'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertInput {
  kind: AlertKind;
  severity: Severity;
  /** Alerts with a key already raised are dropped, e.g. `budget:b_12ab:2026-11-01:80` (one per budget, period, threshold). */
  dedup_key: string;
  /** One line, e.g. "Budget team=payments monthly reached 80% ($40.00 of $50.00)". */
  title: string;
  /** The scope it is about, e.g. {team: "payments"} or {session_id: "…"}. */
  scope: Readonly<Record<string, string>>;
  budget_id?: string | null;
  /** Machine-readable details (amounts as decimal strings, never floats). */
  data?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface Alert extends AlertInput {
  /** `al_` + 16 hex. */
  id: string;
  /** ISO-8601 UTC. */
  created_at: string;
}

/** Where alerts are raised to. `raise` returns at once; storing and delivery happen in the background. */
export interface AlertSink {
  raise(a: AlertInput): void;
}
