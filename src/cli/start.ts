import { type LedgerOptions, ledgerPath, withStore } from './context.js';
import { fillDemo } from './demo.js';
import { importLocalAgentLogs } from './import.js';
import { report } from './report.js';
import { runningServer } from './running-server.js';
import { serveCommand } from './serve.js';

/**
 * `npm start`: import the local coding-agent logs it finds (Claude Code, Codex, Gemini CLI); on a ledger that is
 * still empty, load the demo organisation; print the spend report; then run the server (gateway, API, dashboard,
 * OTLP) until interrupted. With a server already running on the ledger, all of that goes through it, and the
 * command ends by saying where it runs.
 */
export async function startCommand(
  o: LedgerOptions & { serve?: boolean },
  out: (s: string) => void,
): Promise<void> {
  const path = ledgerPath(o);
  // Bulk fills, like `tokenledger demo`: the rollups are rebuilt once, at close, before the report reads them.
  await withStore(
    o,
    async (store) => {
      await importLocalAgentLogs(store, out, o);
      if ((await store.count()) === 0) {
        out(`The ledger at ${path} is empty: loading the demo organisation (tokenledger demo).\n`);
        await fillDemo(store, o, out);
      }
    },
    { deferRollups: true },
  );
  out('\nSpend by team, last 30 days (tokenledger report --by team --since 30d):\n\n');
  await report({ ...o, by: 'team', since: '30d' }, out);
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
  await serveCommand(o, out);
}
