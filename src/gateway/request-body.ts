import type { IncomingMessage } from 'node:http';
import { readBody } from '../http/read-body.js';
import { GatewayError } from './errors.js';
import { jsonErrorPosition } from './json-error-position.js';
import { decodedRequestBody } from './request-encoding.js';

/**
 * Reads a request body, refusing (413) as soon as it is larger than `limit` bytes, and decodes it if the client
 * compressed it (request-encoding.ts), to no more than `limit` bytes either: the body as the gateway reads it and
 * sends it upstream.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const read = readBody(req, limit, () => tooLarge(limit));
  const encoding = req.headers['content-encoding'];
  return encoding === undefined ? read : read.then((b) => decodedRequestBody(b, encoding, limit));
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'GW_BODY_TOO_LARGE',
    `request body is larger than ${limit} bytes; send less or raise server.body_limit_mb in tokenledger.config.yaml`,
  );
}

/** The body as a JSON object; a 400 that says where it broke (line and column) when it is not one. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const pos = jsonErrorPosition(text);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    const what = pos >= text.length ? 'it ends too early' : `unexpected ${JSON.stringify(text[pos])}`;
    throw new GatewayError(
      'GW_BAD_JSON',
      `request body is not valid JSON at line ${line}, column ${column} (offset ${pos}): ${what}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new GatewayError('GW_BAD_REQUEST', 'request body must be a JSON object such as {"model": "…", …}');
  return value as Record<string, unknown>;
}
