import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from './read-body.js';

class TooLarge extends Error {}

// A real server whose handler answers 200 with the body it read, or 413 when readBody refused it.
const server = createServer((req, res) => {
  readBody(req, 16, () => new TooLarge()).then(
    (body) => res.writeHead(200).end(body),
    (e) => res.writeHead(e instanceof TooLarge ? 413 : 500).end(),
  );
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function send(
  parts: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('readBody', () => {
  it('returns the whole body, however it was chunked', async () => {
    expect(await send(['{"a":', '1}'])).toEqual({ status: 200, body: '{"a":1}' });
    expect(await send(['exactly 16 bytes'])).toEqual({ status: 200, body: 'exactly 16 bytes' });
  });

  it('refuses a body declared larger than the limit before reading it', async () => {
    expect((await send(['x'.repeat(17)], { 'content-length': '17' })).status).toBe(413);
  });

  it('refuses a chunked body once it grows past the limit', async () => {
    expect((await send(['0123456789', '0123456789'])).status).toBe(413);
  });
});
