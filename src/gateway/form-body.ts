import { GatewayError } from './errors.js';

/**
 * Request bodies sent as `multipart/form-data` (the Audio API's transcriptions, the Images API's edits and
 * variations: files beside text fields): their text fields read as a request's JSON is, and their `model` field
 * rewritten in place.
 */

/** Fields that are whole numbers in the JSON APIs, which budget admission reads (the images asked for). */
const INTEGER_FIELDS: ReadonlySet<string> = new Set(['n', 'partial_images']);

/**
 * The text fields of a multipart/form-data body, files left out, as the values a JSON request's would be (`stream`
 * a boolean, `n` and `partial_images` numbers when they are whole numbers). Read with the platform's own parser
 * (undici's `Response.formData`).
 */
export async function formFields(
  raw: Buffer,
  contentType: string | undefined,
): Promise<Record<string, unknown>> {
  const form = await formData(raw, contentType);
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form) if (typeof value === 'string') fields[name] = fieldValue(name, value);
  return fields;
}

/**
 * The body's first file (a transcription's audio) with the type its part declares, or null when it has none. The
 * body is read again: only a call that needs the file (an estimate) pays for it, not every call.
 */
export async function formFile(
  raw: Buffer,
  contentType: string | undefined,
): Promise<{ bytes: Uint8Array; type: string | null } | null> {
  for (const [, value] of await formData(raw, contentType))
    if (typeof value !== 'string')
      return {
        bytes: new Uint8Array(await value.arrayBuffer()),
        type: value.type === '' ? null : value.type,
      };
  return null;
}

async function formData(raw: Buffer, contentType: string | undefined): Promise<FormData> {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType))
    throw new GatewayError(
      'GW_BAD_REQUEST',
      `this route takes multipart/form-data (the files and their fields), not ${JSON.stringify(contentType ?? 'no content-type')}`,
    );
  try {
    return await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch (e) {
    throw new GatewayError(
      'GW_BAD_REQUEST',
      `the body is not valid multipart/form-data: ${(e as Error).message}`,
    );
  }
}

function fieldValue(name: string, value: string): unknown {
  if (name === 'stream') return value === 'true';
  if (INTEGER_FIELDS.has(name) && /^\d{1,6}$/.test(value)) return Number(value);
  return value;
}

/**
 * The body with its `model` field's value replaced (an alias, an `UPSTREAM/model` prefix): every other byte, the
 * file's included, as the client sent it, and the same boundary, so the request's content-type still holds.
 */
export function withFormModel(raw: Buffer, contentType: string, model: string): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (boundary === null) return raw;
  const delimiter = Buffer.from(`\r\n--${boundary[1] ?? boundary[2]}`);
  // Each part follows a delimiter (the first may start the body without its CRLF); its headers end at a blank line.
  const first = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = raw.subarray(0, first.length).equals(first) ? 0 : raw.indexOf(delimiter);
  while (at >= 0) {
    const headersStart = raw.indexOf('\r\n', at + 2) + 2;
    const headersEnd = raw.indexOf('\r\n\r\n', headersStart);
    if (headersStart < 2 || headersEnd < 0) return raw;
    const next = raw.indexOf(delimiter, headersEnd);
    if (next < 0) return raw;
    const headers = raw.toString('latin1', headersStart, headersEnd);
    if (/^content-disposition:[^\r\n]*;\s*name="model"(?:[;\s]|$)/im.test(headers))
      return Buffer.concat([raw.subarray(0, headersEnd + 4), Buffer.from(model), raw.subarray(next)]);
    at = next;
  }
  return raw;
}
