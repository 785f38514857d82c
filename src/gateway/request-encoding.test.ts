import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codexRequest } from '../../test/gateway/codex-request.js';
import { zstdFrame } from '../../test/helpers/zstd-frame.js';
import { decodedRequestBody } from './request-encoding.js';

const LIMIT = 1 << 20;
const JSON_BODY = Buffer.from('{"model":"gpt-5","input":"hi"}');
const CODEX_ZSTD = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/gateway/codex-responses-request.json.zst'),
);

const decoded = (body: Buffer, header: string | undefined, limit = LIMIT) =>
  decodedRequestBody(body, header, limit).then((b) => b.toString('utf8'));
const refusal = (body: Buffer, header: string, limit = LIMIT) =>
  decodedRequestBody(body, header, limit).then(
    () => {
      throw new Error('decoded');
    },
    (e: { code: string; status: number; message: string }) => ({
      code: e.code,
      status: e.status,
      message: e.message,
    }),
  );

describe('decodedRequestBody', () => {
  it('gives the body as it came when the client did not compress it', async () => {
    for (const header of [undefined, '', 'identity', ' Identity '])
      expect(await decodedRequestBody(JSON_BODY, header, LIMIT)).toBe(JSON_BODY);
  });

  it('decodes a Codex CLI request: zstd level 3, a 2 MiB window, over several blocks', async () => {
    expect(await decoded(CODEX_ZSTD, 'zstd')).toBe(codexRequest());
  });

  it('decodes gzip, x-gzip, deflate (zlib or raw) and br, named in any case', async () => {
    const cases: [Buffer, string][] = [
      [gzipSync(JSON_BODY), 'gzip'],
      [gzipSync(JSON_BODY), 'X-GZIP'],
      [deflateSync(JSON_BODY), 'deflate'],
      [deflateRawSync(JSON_BODY), 'deflate'],
      [brotliCompressSync(JSON_BODY), 'br'],
    ];
    for (const [body, header] of cases) expect(await decoded(body, header)).toBe(JSON_BODY.toString());
  });

  it('undoes codings applied one after another, the last listed first (RFC 9110 §8.4)', async () => {
    const zstdThenGzip = gzipSync(zstdFrame({ windowByte: 0, blocks: [{ raw: JSON_BODY }] }));
    expect(await decoded(zstdThenGzip, 'zstd, gzip')).toBe(JSON_BODY.toString());
    expect(await refusal(zstdThenGzip, 'gzip, zstd')).toMatchObject({
      code: 'GW_BAD_ENCODING',
      message: expect.stringContaining(
        'request body is not valid zstd (content-encoding "gzip, zstd"): byte 0 starts no Zstandard frame',
      ),
    });
  });

  it('refuses a coding it does not decode with a 415 that names it', async () => {
    expect(await refusal(JSON_BODY, 'gzip, compress')).toEqual({
      code: 'GW_UNSUPPORTED_ENCODING',
      status: 415,
      message:
        'request body sent with content-encoding "gzip, compress": the gateway decodes gzip, deflate, br and zstd; send one of those, or the body uncompressed',
    });
  });

  it('answers a body that is not what its coding says with a 400 that says why', async () => {
    expect(await refusal(JSON_BODY, 'gzip')).toMatchObject({
      code: 'GW_BAD_ENCODING',
      status: 400,
      message: 'request body is not valid gzip (content-encoding "gzip"): incorrect header check',
    });
    expect(await refusal(CODEX_ZSTD.subarray(0, 5000), 'zstd')).toMatchObject({
      code: 'GW_BAD_ENCODING',
      message: expect.stringMatching(
        /^request body is not valid zstd \(content-encoding "zstd"\): it ends inside a block at byte \d+$/,
      ),
    });
  });

  it('refuses a zstd frame that needs a window over 8 MiB or a dictionary, before decoding it', async () => {
    const wide = zstdFrame({ windowByte: 14 << 3, blocks: [{ raw: JSON_BODY }] });
    expect(await refusal(wide, 'zstd')).toMatchObject({
      code: 'GW_BAD_ENCODING',
      message: expect.stringContaining(
        'a frame needs a window of 16777216 bytes; windows up to 8 MiB are decoded',
      ),
    });
    const dictionary = zstdFrame({ windowByte: 0, dictionaryId: 9, blocks: [{ raw: JSON_BODY }] });
    expect(await refusal(dictionary, 'zstd')).toMatchObject({
      code: 'GW_BAD_ENCODING',
      message: expect.stringContaining('a frame needs a dictionary'),
    });
  });

  it('stops at the size limit, with a 413: a few kB can stand for gigabytes', async () => {
    const tooLarge = {
      code: 'GW_BODY_TOO_LARGE',
      status: 413,
      message: `request body is larger than ${LIMIT} bytes once decoded (content-encoding "zstd"); send less or raise server.body_limit_mb in tokenledger.config.yaml`,
    };
    // 1 GiB of zeros in 32 kB: RLE blocks of 128 kiB.
    const bomb = zstdFrame({
      windowByte: 7 << 3,
      blocks: Array.from({ length: 8192 }, () => ({ rle: 0, size: 128 << 10 })),
    });
    expect(bomb.length).toBeLessThan(33_000);
    expect(await refusal(bomb, 'zstd')).toEqual(tooLarge);
    // Declared larger than the limit: refused before anything is decoded.
    const declared = zstdFrame({ contentSize: LIMIT + 1, blocks: [{ raw: JSON_BODY }] });
    expect(await refusal(declared, 'zstd')).toEqual(tooLarge);
    expect(await refusal(gzipSync(Buffer.alloc(LIMIT + 1)), 'gzip')).toEqual({
      ...tooLarge,
      message: tooLarge.message.replace('"zstd"', '"gzip"'),
    });
    // At the limit exactly, it is taken.
    expect((await decodedRequestBody(gzipSync(Buffer.alloc(LIMIT)), 'gzip', LIMIT)).length).toBe(LIMIT);
    const atLimit = zstdFrame({
      windowByte: 7 << 3,
      blocks: Array.from({ length: 8 }, () => ({ rle: 0, size: 128 << 10 })),
    });
    expect((await decodedRequestBody(atLimit, 'zstd', LIMIT)).length).toBe(LIMIT);
  });
});
