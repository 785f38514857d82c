import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { parseJsonBody } from './request-body.js';

function refusal(body: string): GatewayError {
  try {
    parseJsonBody(Buffer.from(body));
  } catch (e) {
    return e as GatewayError;
  }
  throw new Error('parsed');
}

describe('a request body that is not JSON', () => {
  it('is a 400 that says where it broke', () => {
    const e = refusal('{\n  "model": "gpt-4o",\n  "messages": [}\n');
    expect(e).toBeInstanceOf(GatewayError);
    expect(e).toMatchObject({ code: 'GW_BAD_JSON', status: 400 });
    expect(e.message).toBe('request body is not valid JSON at line 3, column 16 (offset 38): unexpected "}"');
  });

  it('is a 400 that says where it broke however deep its arrays nest', () => {
    const depth = 100_000;
    const open = `{"model":"gpt-4o","messages":${'['.repeat(depth)}`;
    expect(refusal(open)).toMatchObject({
      code: 'GW_BAD_JSON',
      message: `request body is not valid JSON at line 1, column ${open.length + 1} (offset ${open.length}): it ends too early`,
    });
    const closed = `${open}${']'.repeat(depth)}]`;
    expect(refusal(closed)).toMatchObject({
      code: 'GW_BAD_JSON',
      message: `request body is not valid JSON at line 1, column ${closed.length} (offset ${closed.length - 1}): unexpected "]"`,
    });
  });
});
