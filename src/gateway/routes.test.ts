import { describe, expect, it } from 'vitest';
import { forwardRoute, GATEWAY_ROUTES, notFoundMessage, pathModel } from './routes.js';

const route = (method: string, path: string, headers = {}) => {
  const r = forwardRoute(method, path, headers);
  return r === null
    ? null
    : { type: r.provider.type, method: r.method, model: r.model, response: r.response };
};

describe('forwardRoute', () => {
  it("tells OpenAI's model list from Anthropic's by anthropic-version", () => {
    expect(route('GET', '/v1/models')).toMatchObject({ type: 'openai', model: 'none' });
    expect(route('GET', '/v1/models', { 'anthropic-version': '2023-06-01' })).toMatchObject({
      type: 'anthropic',
    });
    expect(route('GET', '/v1/models/openrouter%2Fauto')).toMatchObject({ model: 'path' });
    expect(pathModel('/v1/models/openrouter%2Fauto')).toBe('openrouter/auto');
  });

  it('takes no path segment that could climb out of its route upstream', () => {
    for (const p of ['/v1/models/..', '/v1/models/', '/v1/responses/..', '/v1/conversations/../x'])
      expect(route('GET', p)).toBeNull();
    // Nor escaped: an upstream that decodes %2e or %2f before it routes would climb with the org's provider key.
    for (const p of [
      '/v1/responses/%2e%2e',
      '/v1/responses/%2E%2e/cancel',
      '/v1/chat/completions/%2e%2e%2Ffiles',
      '/v1/conversations/%2e%2e/items',
      '/v1/conversations/c%5c..%5cx',
    ])
      expect(route('GET', p)).toBeNull();
    expect(route('GET', '/v1/models/openrouter%2Fauto')).not.toBeNull(); // a model id is sent re-encoded whole
  });

  it("maps a stored response's routes by method; only retrieve and cancel can show one finished", () => {
    expect(route('GET', '/v1/responses/resp_1')?.response).toEqual({ id: 'resp_1', finishes: true });
    expect(route('POST', '/v1/responses/resp_1/cancel')?.response).toEqual({ id: 'resp_1', finishes: true });
    expect(route('DELETE', '/v1/responses/resp_1')?.response).toEqual({ id: 'resp_1', finishes: false });
    expect(route('GET', '/v1/responses/resp_1/input_items')?.response?.finishes).toBe(false);
    expect(route('POST', '/v1/responses/resp_1')).toBeNull();
    expect(route('GET', '/v1/responses/input_tokens')).toBeNull();
  });

  it('forwards the Conversations API and the free POSTs', () => {
    expect(route('POST', '/v1/conversations')).toMatchObject({ method: 'POST', model: 'none' });
    expect(route('DELETE', '/v1/conversations/conv_1/items/msg_1')).toMatchObject({ method: 'DELETE' });
    expect(route('PUT', '/v1/conversations/conv_1')).toBeNull();
    expect(route('POST', '/v1/moderations')).toMatchObject({ model: 'body' });
    expect(route('GET', '/v1/batches')).toBeNull();
  });

  it('forwards stored chat completions beside the metered POST', () => {
    expect(route('GET', '/v1/chat/completions')).toMatchObject({ method: 'GET', model: 'none' });
    expect(route('POST', '/v1/chat/completions/chatcmpl-1')).toMatchObject({ method: 'POST' });
    expect(route('GET', '/v1/chat/completions/chatcmpl-1/messages')).toMatchObject({ method: 'GET' });
    expect(route('DELETE', '/v1/chat/completions/chatcmpl-1/messages')).toBeNull();
    expect(route('HEAD', '/v1/chat/completions')).toBeNull();
  });
});

describe('notFoundMessage', () => {
  it('says speech and video are not proxied, and no longer images or translations (metered: GATEWAY_ROUTES)', () => {
    for (const path of ['/v1/audio/speech', '/v1/videos'])
      expect(notFoundMessage('POST', path, {})).toMatch(/ is not proxied: speech and video calls /);
    for (const path of ['/v1/images/generations', '/v1/images/edits', '/v1/images/variations'])
      expect(GATEWAY_ROUTES.get(path)).toMatchObject({ operation: 'image', metered: true });
    expect(GATEWAY_ROUTES.get('/v1/audio/translations')).toMatchObject({
      operation: 'translation',
      metered: true,
      form: true,
    });
    expect(notFoundMessage('GET', '/v1/images/unknown', {})).toMatch(
      /^no route GET \/v1\/images\/unknown; .*\/v1\/images\/edits/,
    );
  });
});
