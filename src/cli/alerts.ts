import { ALERT_KINDS, type AlertKind } from '../budgets/alerts/alert.js';
import { type LogRead, listAlerts, type StoredAlert } from '../budgets/alerts/alert-log.js';
import { TokenledgerError } from '../errors.js';
import { type LedgerOptions, withRecords } from './context.js';
import { parsePositiveInt, parseRange, parseTableOrJson } from './filters.js';

export interface AlertsOptions extends LedgerOptions {
  /** An age (7d, 12h) or a date; default: all. */
  since?: string;
  /** The IANA zone a --since date is read in (UTC by default). */
  tz?: string;
  kind?: string;
  /** Default 100. */
  limit?: string;
  format?: string;
}

/**
 * `tokenledger alerts`: the stored alerts, newest first, with how each webhook delivery ended. Reads the alerts log
 * beside the ledger (a ClickHouse ledger's: its records, every instance's alerts), so it works while servers run. Warnings (a torn or unreadable line) go to `warn`, keeping
 * `--format json` output clean for scripts.
 */
export async function alertsCommand(
  o: AlertsOptions,
  out: (s: string) => void,
  warn: (s: string) => void = (s) => process.stderr.write(s),
): Promise<void> {
  const format = parseTableOrJson(o.format);
  if (o.kind !== undefined && !(ALERT_KINDS as readonly string[]).includes(o.kind))
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--kind ${JSON.stringify(o.kind)}: use one of ${ALERT_KINDS.join(', ')}`,
    );
  const { since } = parseRange({ since: o.since, tz: o.tz });
  const limit = parsePositiveInt('limit', o.limit) ?? 100;
  const [read, path] = await withRecords(o, async (r) => [
    await listAlerts(r.alerts, {
      ...(since === undefined ? {} : { sinceMs: Math.floor(since / 1000) }),
      ...(o.kind === undefined ? {} : { kind: o.kind as AlertKind }),
      limit,
    }),
    r.alerts.where,
  ]);
  warnings(read, path, warn);
  if (format === 'json') {
    out(`${JSON.stringify({ alerts: read.alerts }, null, 2)}\n`);
    return;
  }
  if (read.alerts.length === 0) {
    out(
      'No alerts. Budgets at their thresholds, anomalies and runaway sessions raise them as spend arrives (the ' +
        'server watches the last two hours); for spend already in the ledger, see tokenledger runaways and ' +
        'tokenledger anomalies.\n',
    );
    return;
  }
  out(alertsTable(read.alerts));
}

function warnings(read: LogRead, path: string, warn: (s: string) => void): void {
  if (read.torn)
    warn(`note: ${path}: skipped a torn last line (a write in progress, or the server stopped mid-write)\n`);
  for (const s of read.skipped.slice(0, 5)) warn(`note: ${path}:${s.line}: skipped, ${s.reason}\n`);
  if (read.skipped.length > 5) warn(`note: ${read.skipped.length - 5} more unreadable line(s) skipped\n`);
}

export function alertsTable(alerts: readonly StoredAlert[]): string {
  const header = ['created (UTC)', 'severity', 'kind', 'title', 'delivery'];
  const rows = alerts.map((a) => [
    a.created_at.slice(0, 19).replace('T', ' '),
    a.severity,
    a.kind,
    a.title,
    deliverySummary(a),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[fmt(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n')}\n`;
}

/** e.g. "slack delivered; pager failed (HTTP 400)"; "-" when no webhook took it or none has finished yet. */
function deliverySummary(a: StoredAlert): string {
  // The last record per webhook wins (one per webhook today; later ones would be re-deliveries).
  const last = new Map(a.deliveries.map((d) => [d.webhook, d]));
  if (last.size === 0) return '-';
  return [...last.values()]
    .map((d) => {
      if (d.outcome === 'delivered')
        return `${d.webhook} delivered${d.attempts > 1 ? ` (${d.attempts} tries)` : ''}`;
      const why = d.status !== null ? `HTTP ${d.status}` : (d.error ?? '');
      return `${d.webhook} ${d.outcome}${why ? ` (${why.slice(0, 60)})` : ''}`;
    })
    .join('; ');
}
