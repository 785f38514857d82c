import type { AlertCenter } from '../budgets/alerts/alert-center.js';
import { openAlertCenter } from '../budgets/alerts/alert-center.js';
import { resolveWebhooks } from '../budgets/alerts/alerts-config.js';
import { BudgetBook } from '../budgets/book/budget-book.js';
import { startWatchdog } from '../budgets/watchdog.js';
import { createGatewayEnforcer, type GatewayEnforcer, preloadTokenizer } from '../gateway/budget-enforcer.js';
import type { GatewayConfig } from '../gateway/config.js';
import type { KeyRing } from '../gateway/keys/key-ring.js';
import { SessionGuard } from '../gateway/session-guard.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Store } from '../store/store.js';
import type { LedgerRecords } from './ledger-records.js';

/**
 * How long Redis remembers that an alert was delivered. Longer than a monthly window; an instance never raises a key
 * twice anyway (its alerts log remembers), so this only covers instances that start later with an empty log.
 */
const ALERT_CLAIM_SECONDS = 40 * 86_400;

export interface Budgets {
  book: BudgetBook;
  alerts: AlertCenter;
  enforcement: GatewayEnforcer;
  sessions: SessionGuard;
  /** /metrics lines: counters health, alerts raised and delivered. */
  metrics(): string;
  close(): Promise<void>;
}

/**
 * Everything budgets need in `serve`: the budget book (config + `<ledger>.budgets.json`), the alert center
 * (`<ledger>.alerts.jsonl` and webhooks), the enforcer with its counters rebuilt from the ledger, live runaway
 * detection, and the watchdog that scans the ledger for runaways and anomalies from every source.
 */
export async function startBudgets(o: {
  config: GatewayConfig;
  pricer: Pricer;
  store: Store;
  keys: KeyRing;
  /** The ledger's own budgets and their audit (server/ledger-records.ts); the config's are added to them. */
  records: LedgerRecords;
  ledgerPath: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Moves acknowledged events still in the write-ahead log into the store, so a rebuild counts them. */
  drain: () => Promise<void>;
}): Promise<Budgets> {
  const book = new BudgetBook(o.records, o.config.budgets);
  await book.load();
  const alerts = await openAlertCenter({
    log: o.records.alerts,
    webhooks: resolveWebhooks(o.config.alerts, o.env),
    warn: (m) => o.log(`alerts: ${m}`),
    // With counters in Redis, instances share the budgets and so raise the same alerts: one of them delivers each.
    ...(o.config.counters.store === 'redis'
      ? {
          claim: (key: string) =>
            enforcement?.counters.claimOnce?.(`tl:alert:${key}`, ALERT_CLAIM_SECONDS) ??
            Promise.resolve(true),
        }
      : {}),
  });
  let enforcement: GatewayEnforcer | null = null;
  try {
    enforcement = await createGatewayEnforcer({
      config: o.config,
      pricer: o.pricer,
      env: o.env,
      budgets: () => book.all(),
      alerts,
      log: o.log,
      onRecover: async (direct) => {
        await o.drain();
        await enforcement?.enforcer.rebuild(o.store, o.keys.records(), direct);
      },
    });
    // Counters start from the ledger, so a restart (or a new instance) forgets no spend.
    await enforcement.enforcer.rebuild(o.store, o.keys.records());
  } catch (e) {
    await enforcement?.counters.close();
    await alerts.close();
    throw e;
  }
  const enforcer = enforcement.enforcer;
  // A budget added while the server runs counts what its window already spent, not only what comes after.
  book.beforeChange = async (next) => {
    // With Redis every limited call counts tokens; in-process counters load the tokenizer once a limit nears.
    if (o.config.counters.store === 'redis' && next.some((b) => b.action !== 'alert')) preloadTokenizer();
    await o.drain();
    await enforcer.seed(o.store, next);
  };
  const watchdog = startWatchdog({ store: o.store, alerts, runaway: o.config.runaway, log: o.log });
  return {
    book,
    alerts,
    enforcement,
    sessions: new SessionGuard(o.config.runaway, alerts),
    metrics() {
      const s = alerts.stats();
      return (
        enforcement.metrics() +
        '# HELP tokenledger_alerts_raised_total Alerts stored (after deduplication).\n' +
        '# TYPE tokenledger_alerts_raised_total counter\n' +
        `tokenledger_alerts_raised_total ${s.raised}\n` +
        '# HELP tokenledger_alerts_delivered_elsewhere_total Alerts stored here and sent by another instance.\n' +
        '# TYPE tokenledger_alerts_delivered_elsewhere_total counter\n' +
        `tokenledger_alerts_delivered_elsewhere_total ${s.deliveredElsewhere}\n` +
        '# HELP tokenledger_alert_deliveries_total Webhook deliveries by outcome.\n' +
        '# TYPE tokenledger_alert_deliveries_total counter\n' +
        `tokenledger_alert_deliveries_total{outcome="delivered"} ${s.delivery.delivered}\n` +
        `tokenledger_alert_deliveries_total{outcome="failed"} ${s.delivery.failed}\n` +
        `tokenledger_alert_deliveries_total{outcome="dropped"} ${s.delivery.dropped}\n`
      );
    },
    async close() {
      watchdog.stop();
      book.beforeChange = null;
      await enforcement.counters.close();
      await alerts.close();
    },
  };
}
