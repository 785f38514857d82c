import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { drainedOrClosed } from './drained.js';

// A real server and a client socket that reads nothing: the response's buffer fills and stays full.
async function fullResponse() {
  let res!: ServerResponse;
  const server = createServer((_req, r) => {
    res = r;
    r.writeHead(200, { 'content-type': 'text/event-stream' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.pause();
  client.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  while (res === undefined) await new Promise((r) => setTimeout(r, 5));
  // Past the response's own buffer the kernel's take more: write until a 'drain' stops coming.
  const chunk = Buffer.alloc(256 * 1024, 'a');
  for (let drained = true; drained; ) {
    while (res.write(chunk));
    drained = await Promise.race([
      once(res, 'drain').then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
    ]);
  }
  return { res, client, close: () => server.close() };
}

describe('drainedOrClosed', () => {
  it('resolves when a client that stopped reading leaves, where waiting for drain would never end', async () => {
    const { res, client, close } = await fullResponse();
    let settled = false;
    const waiting = drainedOrClosed(res).then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    client.destroy();
    await waiting;
    expect(res.destroyed).toBe(true);
    close();
  });

  it('resolves when the client reads again, the response still open', async () => {
    const { res, client, close } = await fullResponse();
    const waiting = drainedOrClosed(res);
    client.resume();
    await waiting;
    expect(res.destroyed).toBe(false);
    client.destroy();
    close();
  });
});
