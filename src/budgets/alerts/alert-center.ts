import { createHash } from 'node:crypto';
import type { Alert, AlertInput, AlertSink } from './alert.js';
import type { AlertLog } from './alert-log.js';
import type { Webhook } from './alerts-config.js';
import { type DeliveryOptions, DeliveryQueue, type DeliveryStats } from './delivery-queue.js';
import { wants, webhookBody, webhookHeaders } from './webhook-body.js';
import { fetchTransport, type Transport } from './webhook-transport.js';

/**
 * Where the server's alerts go: deduplicated, appended to the alerts log, and handed to the webhook queue. `raise`
 * does only in-memory work and returns at once; the file write and the HTTP requests happen in the background.
 */
export interface AlertCenter extends AlertSink {
  /** Resolves when every alert raised so far is written and every delivery has ended (delivered, failed, dropped). */
  flush(): Promise<void>;
  /**
   * Waits up to `graceMs` (default 2000) for deliveries to end, records the rest as failed ("shut down before
   * delivery"), then flushes and closes the log. Alerts raised afterwards are dropped with a warning.
   */
  close(graceMs?: number): Promise<void>;
  stats(): AlertCenterStats;
}

interface AlertCenterStats {
  raised: number;
  /** Raised again with a dedup_key already seen, and dropped. */
  deduplicated: number;
  /** Stored here but sent to the webhooks by another instance (AlertCenterOptions.claim). */
  deliveredElsewhere: number;
  delivery: Readonly<DeliveryStats>;
}

export interface AlertCenterOptions {
  /** The ledger's alerts log (server/ledger-records.ts): a file, or a ClickHouse ledger's records. */
  log: AlertLog;
  webhooks: readonly Webhook[];
  delivery?: DeliveryOptions;
  transport?: Transport;
  now?: () => Date;
  /** Problems with the log or raise(); defaults to stderr. Delivery outcomes go to the log, not here. */
  warn?: (msg: string) => void;
  /** Called for each stored (not deduplicated) alert, e.g. to push it to dashboards. Must not throw or block. */
  onAlert?: (a: Alert) => void;
  /**
   * Several instances raise the same alert (each sees the shared budget cross 80%): each stores it, and only the one
   * for which this resolves true sends it to the webhooks (Counters.claimOnce on the shared Redis). Absent: always.
   */
  claim?: (dedupKey: string) => Promise<boolean>;
}

export async function openAlertCenter(o: AlertCenterOptions): Promise<AlertCenter> {
  const warn = o.warn ?? ((m: string) => process.stderr.write(`tokenledger alerts: ${m}\n`));
  const now = o.now ?? (() => new Date());
  const log = await o.log.open(warn);
  const seen = new Set(log.knownKeys);
  const queue = new DeliveryQueue(
    o.transport ?? fetchTransport,
    (delivery) => log.append({ delivery }),
    o.delivery,
    now,
  );
  let raised = 0;
  let deduplicated = 0;
  let deliveredElsewhere = 0;
  /** Claims in flight: flush and close wait for them, so their deliveries are queued first. */
  const claiming = new Set<Promise<void>>();
  let closed = false;

  return {
    raise(input: AlertInput): void {
      if (closed) {
        warn(`alert ${JSON.stringify(input.dedup_key)} raised after close; dropped`);
        return;
      }
      try {
        if (seen.has(input.dedup_key)) {
          deduplicated++;
          return;
        }
        seen.add(input.dedup_key);
        const alert: Alert = {
          id: alertId(input.dedup_key),
          created_at: now().toISOString(),
          kind: input.kind,
          severity: input.severity,
          dedup_key: input.dedup_key,
          title: input.title,
          scope: { ...input.scope },
          budget_id: input.budget_id ?? null,
          ...(input.data === undefined ? {} : { data: { ...input.data } }),
        };
        raised++;
        log.append({ alert });
        const deliver = (): void => {
          for (const w of o.webhooks) {
            if (!wants(w, alert)) continue;
            queue.push({
              alertId: alert.id,
              webhook: w.name,
              // Built per attempt so a retry minutes later carries a fresh, verifiable timestamp.
              request: () => {
                const body = webhookBody(w, alert);
                return { url: w.url, body, headers: webhookHeaders(w, alert, body, now().getTime() / 1000) };
              },
            });
          }
        };
        if (o.claim === undefined || o.webhooks.length === 0) deliver();
        else {
          const claimed = o.claim(alert.dedup_key).then(
            (mine) => (mine ? deliver() : void deliveredElsewhere++),
            () => deliver(),
          );
          claiming.add(claimed);
          void claimed.finally(() => claiming.delete(claimed));
        }
        o.onAlert?.(alert);
      } catch (e) {
        // An alert must never take a request down with it.
        warn(`could not raise alert ${JSON.stringify(input.dedup_key)}: ${(e as Error).message}`);
      }
    },
    async flush() {
      await Promise.all(claiming);
      await queue.idle();
      await log.flush();
    },
    async close(graceMs = 2000) {
      closed = true;
      await Promise.all(claiming);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([queue.idle(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      await queue.close();
      await log.close();
    },
    stats: () => ({ raised, deduplicated, deliveredElsewhere, delivery: { ...queue.stats } }),
  };
}

/**
 * An alert's id, from its dedup_key: the same alert raised by two instances (both see a shared budget pass 80%) is
 * one alert in a shared log, and its webhook deliveries carry one `x-tokenledger-delivery` for receivers to drop
 * the second by, should both deliver (Redis unreachable).
 */
function alertId(dedupKey: string): string {
  return `al_${createHash('sha256').update(dedupKey).digest('hex').slice(0, 16)}`;
}
