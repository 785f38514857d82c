import { createServer } from 'node:http';
import { Agent } from 'undici';

/** The floor for any Node gateway: node:http in, undici out, bytes piped, no metering. argv: port upstream-origin. */
const [port, origin] = process.argv.slice(2) as [string, string];
const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
    const r = await agent.request({
      origin,
      path: (req.url ?? '/').slice(3),
      method: 'POST',
      headers,
      body: Buffer.concat(chunks),
    });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
    res.writeHead(r.statusCode, out);
    for await (const c of r.body) res.write(c);
    res.end();
  });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile (bench/gateway/cpu.ts).
process.on('SIGTERM', () => process.exit(0));
