import { createServer } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

/**
 * bare-proxy.ts on undici's lower-level `dispatch` (handler callbacks: no body stream or promise per response): what a
 * Node pass-through spends at the least, for cpu.ts's `bared` variant. argv: port upstream-origin.
 */
const [port, origin] = process.argv.slice(2) as [string, string];
const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
    // The callbacks undici's dispatchers call themselves; its newer onResponse* ones are only wrapped into these by
    // interceptors (undici 7.30 refuses them on a plain Agent).
    const handler: Dispatcher.DispatchHandler = {
      onConnect() {},
      onError(e) {
        res.destroy(e);
      },
      onHeaders(status, raw) {
        const out: string[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const k = raw[i]!.toString('latin1').toLowerCase();
          if (!HOP.has(k)) out.push(k, raw[i + 1]!.toString('latin1'));
        }
        res.writeHead(status, out);
        return true;
      },
      onData(c) {
        res.write(c);
        return true;
      },
      onComplete() {
        res.end();
      },
    };
    const body = Buffer.concat(chunks);
    agent.dispatch({ origin, path: (req.url ?? '/').slice(3), method: 'POST', headers, body }, handler);
  });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
