import type { IncomingMessage } from 'node:http';
import { readBody } from '../http/read-body.js';
import { GatewayError } from './errors.js';
import { jsonErrorPosition } from './json-error-position.js';

/** Reads a request body, refusing (413) as soon as it is larger than `limit` bytes. */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readBody(req, limit, () => tooLarge(limit));
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'GW_BODY_TOO_LARGE',
    `request body is larger than ${limit} bytes; send less or raise server.body_limit_mb in tokenledger.config.yaml`,
  );
}

/**
 * The body as a JSON object; a 400 that says where it broke (line and column) when it is not one, and a 415 when the
 * client compressed it (`encoding`, its content-encoding header), which read as JSON broke at its first byte.
 */
export function parseJsonBody(body: Buffer, encoding?: string): Record<string, unknown> {
  if (encoding !== undefined && encoding !== '' && encoding.toLowerCase() !== 'identity')
    throw new GatewayError(
      'GW_UNSUPPORTED_ENCODING',
      `request body sent with content-encoding ${JSON.stringify(encoding)}: the gateway reads the model and options from it and takes it uncompressed only; send it without content-encoding`,
    );
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
