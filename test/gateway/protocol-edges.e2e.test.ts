import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAI_USAGE } from './fake-provider.js';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Sends raw bytes (what fetch and the SDKs will not send) and returns the whole answer once the server closes. */
function rawHttp(bytes: Buffer | string): Promise<string> {
  const { port } = new URL(h.server.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    const out: Buffer[] = [];
    s.on('data', (d: Buffer) => out.push(d));
    s.on('end', () => resolve(Buffer.concat(out).toString('utf8')));
    s.on('error', reject);
    s.write(bytes);
  });
}

function post(body: string, headers = ''): string {
  return `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headers}\r\n${body}`;
}

describe('HTTP details a real client sends', () => {
  it('Expect: 100-continue (curl, large bodies) is answered here and not sent upstream', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const answer = await rawHttp(post(body, 'Expect: 100-continue\r\n'));
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    const id = /x-tokenledger-event-id: (\w+)/.exec(answer)![1]!;
    const e = await h.event(id);
    expect(e).toMatchObject({ status: 'ok', output_tokens: OPENAI_USAGE.completion });
    expect(h.fake.requests.at(-1)!.headers.expect).toBeUndefined();
  });
});
