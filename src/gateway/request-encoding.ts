import { type Coding, codingNamed, DecodedTooLarge, decode } from '../http/content-coding.js';
import { GatewayError } from './errors.js';

/**
 * Request bodies a client compressed. The gateway reads the model and options from every body it meters, so it
 * decodes them; the upstream then gets the body uncompressed (without content-encoding), which every upstream takes.
 * The Codex CLI compresses its Responses requests with zstd (level 3) when it talks to OpenAI's Codex backend, and so
 * do other coding agents that speak its protocol.
 */

/**
 * `body` with the codings its content-encoding `header` lists undone, last first (RFC 9110 §8.4): a 415 for a
 * coding not decoded here, a 400 for a body that is not what its coding says, a 413 when it decodes to more than
 * `limit` bytes.
 */
export async function decodedRequestBody(
  body: Buffer,
  header: string | undefined,
  limit: number,
): Promise<Buffer> {
  if (header === undefined) return body;
  const codings: Coding[] = [];
  for (const token of header.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'identity') continue;
    const coding = codingNamed(t);
    if (coding === null)
      throw new GatewayError(
        'GW_UNSUPPORTED_ENCODING',
        `request body sent with content-encoding ${JSON.stringify(header)}: the gateway decodes gzip, deflate, br and zstd; send one of those, or the body uncompressed`,
      );
    codings.push(coding);
  }
  let out = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    try {
      out = await decode(codings[i]!, out, limit);
    } catch (e) {
      if (e instanceof DecodedTooLarge)
        throw new GatewayError(
          'GW_BODY_TOO_LARGE',
          `request body is larger than ${limit} bytes once decoded (content-encoding ${JSON.stringify(header)}); send less or raise server.body_limit_mb in tokenledger.config.yaml`,
        );
      throw new GatewayError(
        'GW_BAD_ENCODING',
        `request body is not valid ${codings[i]} (content-encoding ${JSON.stringify(header)}): ${(e as Error).message}`,
      );
    }
  }
  return out;
}
