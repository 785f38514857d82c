import { TokenledgerError } from '../errors.js';
import type { Store } from '../store/store.js';
import { type LedgerOptions, ledgerPath, nowMicros, withStore } from './context.js';
import { fillDemo } from './demo.js';
import { parsePort } from './filters.js';
import { importCommand, importLocalAgentLogs } from './import.js';
import { buildReportQuery, formatReport } from './report.js';
import { runningServer } from './running-server.js';

/**
 * `npm start`: import the local coding-agent logs it finds (src/ingest/kinds.ts AGENT_LOG_KINDS); on a ledger that is
 * still empty, load the demo organisation; print the spend report; then run the server (gateway, API, dashboard,
 * OTLP) until interrupted. With a server already running on the ledger, all of that goes through it, and the
 * command ends by saying where it runs. `tokenledger` alone is this without the demo and the server: a developer's
 * own agent logs, imported and priced.
 */
export async function startCommand(
  o: LedgerOptions & { serve?: boolean; demo?: boolean; port?: string },
  out: (s: string) => void,
): Promise<void> {
  const path = ledgerPath(o);
  // Said now, not after the import, the demo and the report it would otherwise follow.
  if (o.serve !== false) parsePort(o.port);
  // `tokenledger` alone is `import auto`, which answers from its state cache without opening the ledger when no log
  // has anything new (the common case: it is run again and again). `start` also needs to know whether the ledger is
  // empty, so it imports with the ledger open, and fills the demo in the same session. Bulk fills, like `tokenledger
  // demo`: the rollups are rebuilt once, at close, before the report reads them.
  if (o.demo === false) await importCommand('auto', [], o, out);
  else
    await withStore(
      o,
      async (store) => {
        await importLocalAgentLogs(store, out, o);
        if ((await store.count()) > 0) return;
        out(`The ledger at ${path} is empty: loading the demo organisation (tokenledger demo).\n`);
        await fillDemo(store, o, out);
      },
      { deferRollups: true },
    );
  // One report that shows something: an individual's agent logs have no team and may be older than 30 days.
  const shown = await withStore(o, async (store) => {
    if ((await store.count()) === 0) return false;
    const view = await firstView(store, nowMicros());
    const flags = `--by ${view.by}${view.recent ? ' --since 30d' : ''}`;
    out(
      `\nSpend by ${view.by}, ${view.recent ? 'last 30 days' : 'all time'} (tokenledger report ${flags}):\n\n`,
    );
    const q = await buildReportQuery({ ...o, by: view.by, ...(view.recent ? { since: '30d' } : {}) });
    out(formatReport(await store.query(q), q));
    return true;
  });
  if (!shown)
    return out(
      `\nNothing to show yet: no coding-agent logs here, and the ledger at ${path} is empty.\n` +
        'tokenledger start loads a demo organisation and runs the dashboard; tokenledger --help lists every command.\n',
    );
  out(
    '\nMore: tokenledger report --by model,user --top 10 · tokenledger report --bucket day · tokenledger events --limit 20\n\n',
  );
  if (o.serve === false) return;
  // `npm start` again while the first still serves: the report above came from it; point there.
  const running = await runningServer(path);
  if (running !== null)
    return out(
      `tokenledger serve already runs on this ledger (pid ${running.pid}): gateway, dashboard and API at ${running.url}\n`,
    );
  // Loaded only to serve: the server's modules (undici, yaml, protobufjs) took ~0.2 s of every `tokenledger` run.
  const { serveCommand } = await import('./serve.js');
  await serveCommand(o, out).catch((e: unknown) => {
    // Under `npm start` the flag the message names has to pass through npm.
    if (
      e instanceof TokenledgerError &&
      e.code === 'SERVE_LISTEN_FAILED' &&
      process.env.npm_lifecycle_event === 'start'
    )
      throw new TokenledgerError(e.code, `${e.message}; with npm start: npm start -- --port N`, { cause: e });
    throw e;
  });
}

const DAYS_30 = 30 * 86_400_000_000;

/**
 * What `start`'s report shows: the last 30 days if anything happened in them (else all time), by team if events
 * carry teams (else by model). The demo organisation gets spend by team over 30 days; a developer's own Claude Code
 * logs from last quarter get spend by model over all time, not an empty table.
 */
async function firstView(store: Store, now: number): Promise<{ by: 'team' | 'model'; recent: boolean }> {
  const last30 = await store.query({ dimensions: ['team'], since: now - DAYS_30 });
  const recent = last30.totals.events > 0;
  const rows = recent ? last30.rows : (await store.query({ dimensions: ['team'] })).rows;
  return { by: rows.some((r) => r.dims.team !== null) ? 'team' : 'model', recent };
}
