import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TokenledgerError } from '../../errors.js';
import type { RecordKind, RecordSet, SetRecord } from '../../records/record-set.js';
import { Serial } from '../../store/serial.js';
import type { Alert, AlertKind } from './alert.js';

/**
 * Alerts live in `<ledger>.alerts.jsonl` beside the ledger: one JSON object per line, appended only, so the CLI can
 * read it while the server writes. Two kinds of line: `{"alert": Alert}` when raised, and `{"delivery": Delivery}` when
 * a webhook delivery ends (delivered, failed after its retries, or dropped from a full queue).
 *
 * A crash mid-write leaves a torn last line (no newline). Readers skip it and say so; the writer cuts it off at open,
 * so the next line does not glue onto it.
 */
export function alertLogPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.alerts.jsonl`;
}

type DeliveryOutcome = 'delivered' | 'failed' | 'dropped';

export interface Delivery {
  alert_id: string;
  /** The webhook's name (never its URL, which may hold a token). */
  webhook: string;
  outcome: DeliveryOutcome;
  attempts: number;
  /** Last HTTP status, null when none arrived (network error, timeout, dropped). */
  status: number | null;
  error: string | null;
  at: string;
}

type LogRecord = { alert: Alert } | { delivery: Delivery };

export interface StoredAlert extends Alert {
  deliveries: Delivery[];
}

export interface LogRead {
  /** In file order (oldest first). */
  alerts: StoredAlert[];
  /** Unreadable lines, 1-based, with the reason. */
  skipped: { line: number; reason: string }[];
  /** True when the last line was cut short: a write in progress, or a crash mid-write. */
  torn: boolean;
}

/** Reads the whole log; a missing file is an empty log. Pure apart from the one read. */
export async function readAlertLog(path: string): Promise<LogRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { alerts: [], skipped: [], torn: false };
    throw new TokenledgerError(
      'ALERT_LOG_READ',
      `${path}: cannot read the alerts log (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  return parseAlertLog(text);
}

function parseAlertLog(text: string): LogRead {
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const last = lines.pop() ?? ''; // '' after a final newline; otherwise the unterminated tail
  const alerts: StoredAlert[] = [];
  const byId = new Map<string, StoredAlert>();
  const skipped: LogRead['skipped'] = [];
  let torn = false;
  const take = (line: string, n: number, isTail: boolean) => {
    if (line.trim() === '') return;
    const rec = parseRecord(line);
    if (typeof rec === 'string') {
      if (isTail) torn = true;
      else skipped.push({ line: n, reason: rec });
      return;
    }
    if ('alert' in rec) {
      const s: StoredAlert = { ...rec.alert, deliveries: [] };
      alerts.push(s);
      byId.set(s.id, s);
    } else byId.get(rec.delivery.alert_id)?.deliveries.push(rec.delivery);
  };
  for (const [i, l] of lines.entries()) take(l, i + 1, false);
  if (!complete) take(last, lines.length + 1, true);
  return { alerts, skipped, torn };
}

function parseRecord(line: string): LogRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'not an object';
  const r = v as Record<string, unknown>;
  if (isObject(r.alert) && typeof r.alert.id === 'string' && typeof r.alert.dedup_key === 'string')
    return v as LogRecord;
  if (isObject(r.delivery) && typeof r.delivery.alert_id === 'string') return v as LogRecord;
  return 'expected {"alert": …} or {"delivery": …}';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export interface ListOptions {
  /** Epoch milliseconds; alerts created at or after it. */
  sinceMs?: number;
  kind?: AlertKind;
  limit?: number;
}

/** Newest first. */
function selectAlerts(all: readonly StoredAlert[], o: ListOptions): StoredAlert[] {
  const out: StoredAlert[] = [];
  for (let i = all.length - 1; i >= 0 && (o.limit === undefined || out.length < o.limit); i--) {
    const a = all[i] as StoredAlert;
    if (o.kind !== undefined && a.kind !== o.kind) continue;
    if (o.sinceMs !== undefined && Date.parse(a.created_at) < o.sinceMs) continue;
    out.push(a);
  }
  return out;
}

/**
 * Where a ledger's alerts are kept: beside a DuckDB ledger, the file above; in a ClickHouse ledger, rows of its
 * records (recordSetAlertLog), so every instance lists every instance's alerts and one restarted knows them all.
 */
export interface AlertLog {
  /** A file's path or a database's table, for messages. */
  readonly where: string;
  /** Every alert, oldest first, with its deliveries. */
  read(): Promise<LogRead>;
  /** The writer: one per server. */
  open(warn: (msg: string) => void): Promise<AlertLogWriter>;
}

export function fileAlertLog(path: string): AlertLog {
  return { where: path, read: () => readAlertLog(path), open: (warn) => openAlertLog(path, warn) };
}

/** Alerts in a ClickHouse ledger's records: a record per alert, and one per delivery that ended. */
export const ALERT_RECORDS: RecordKind = { name: 'alerts', corrupt: ['ALERT_LOG_CORRUPT', 'not an alert'] };
export const DELIVERY_RECORDS: RecordKind = {
  name: 'alert_deliveries',
  corrupt: ['ALERT_LOG_CORRUPT', 'not an alert delivery'],
};

/**
 * The alerts log as two record sets. Two instances raising the same alert (each sees a shared budget pass 80%) give
 * it the same id (alert-center.ts), so it is one record however many store it. Writes go in the order appended, in
 * the background; one that fails is said through `warn` and lost, as a file write that fails is.
 */
export function recordSetAlertLog(
  alerts: RecordSet<Alert & SetRecord>,
  deliveries: RecordSet<Delivery & SetRecord>,
): AlertLog {
  const read = async (): Promise<LogRead> => {
    const stored = (await alerts.list()).map((a): StoredAlert => ({ ...a, deliveries: [] }));
    const byId = new Map(stored.map((a) => [a.id, a]));
    for (const { id: _id, created_at: _at, ...d } of await deliveries.list())
      byId.get(d.alert_id)?.deliveries.push(d);
    return { alerts: stored, skipped: [], torn: false };
  };
  return {
    where: alerts.where,
    read,
    async open(warn) {
      const knownKeys = new Set((await read()).alerts.map((a) => a.dedup_key));
      const queue = new Serial();
      const put = (what: string, write: () => Promise<void>) =>
        void queue
          .run(write)
          .catch((e: unknown) => warn(`${alerts.where}: lost ${what}: ${(e as Error).message}`));
      return {
        knownKeys,
        append(r) {
          if ('alert' in r) put(`alert ${r.alert.id}`, () => alerts.put(r.alert));
          else
            put(`a delivery of alert ${r.delivery.alert_id}`, () =>
              deliveries.put({
                id: `${r.delivery.alert_id}/${r.delivery.webhook}/${r.delivery.at}`,
                created_at: r.delivery.at,
                ...r.delivery,
              }),
            );
        },
        flush: async () => {
          await queue.idle();
        },
        close: async () => {
          await queue.idle();
        },
      };
    },
  };
}

/** Reads and selects in one step, for the CLI and the HTTP API. */
export async function listAlerts(log: AlertLog, o: ListOptions): Promise<LogRead> {
  const read = await log.read();
  return { ...read, alerts: selectAlerts(read.alerts, o) };
}

/** The single writer (the server). Appends are batched into one write each and never awaited by the caller. */
export interface AlertLogWriter {
  /** Every dedup_key in the file when it was opened. */
  readonly knownKeys: ReadonlySet<string>;
  append(r: LogRecord): void;
  /** Resolves when everything appended so far is written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function openAlertLog(path: string, warn: (msg: string) => void): Promise<AlertLogWriter> {
  await mkdir(dirname(path), { recursive: true });
  const prior = await readAlertLog(path);
  if (prior.torn || prior.skipped.length > 0) {
    if (prior.torn) {
      const text = await readFile(path, 'utf8');
      await truncate(path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
      warn(`${path}: cut off a torn last line (the process stopped mid-write)`);
    }
    for (const s of prior.skipped.slice(0, 3)) warn(`${path}:${s.line}: skipped, ${s.reason}`);
  }
  const fh = await open(path, 'a', 0o600);
  const knownKeys = new Set(prior.alerts.map((a) => a.dedup_key));
  let pending: string[] = [];
  let draining: Promise<void> | null = null;

  const drain = async () => {
    while (pending.length > 0) {
      const batch = pending.join('');
      const n = pending.length;
      pending = [];
      try {
        await fh.appendFile(batch);
      } catch (e) {
        warn(`${path}: lost ${n} alert log line(s): ${(e as Error).message}`);
      }
    }
    draining = null;
  };
  return {
    knownKeys,
    append(r) {
      pending.push(`${JSON.stringify(r)}\n`);
      draining ??= Promise.resolve().then(drain);
    },
    async flush() {
      while (draining !== null) await draining;
    },
    async close() {
      while (draining !== null) await draining;
      await fh.close();
    },
  };
}
