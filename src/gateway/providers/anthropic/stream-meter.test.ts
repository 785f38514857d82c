import { describe, expect, it } from 'vitest';
import { AnthropicStreamMeter } from './stream-meter.js';

// The shape of Anthropic's streaming docs: usage in message_start, cumulative output in message_delta.
const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const stream = [
  ev('message_start', {
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [],
      usage: {
        input_tokens: 25,
        cache_creation_input_tokens: 30,
        cache_read_input_tokens: 100,
        cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 },
        output_tokens: 1,
      },
    },
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ev('ping', {}),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'héllo ✓' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' message_delta' } }),
  ev('content_block_stop', { index: 0 }),
  ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }),
  ev('message_stop', {}),
].join('');
const bytes = Buffer.from(stream, 'utf8');

function run(cut: number) {
  const m = new AnthropicStreamMeter();
  const out = [m.push(bytes.subarray(0, cut)), m.push(bytes.subarray(cut))];
  m.end();
  return { m, out: Buffer.concat(out).toString('utf8') };
}

describe('AnthropicStreamMeter', () => {
  it('takes input and cache usage from message_start and the last output from message_delta, wherever chunks split', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { m, out } = run(cut);
      expect(out).toBe(stream);
      expect(m.facts()).toMatchObject({
        model: 'claude-sonnet-4-5-20250929',
        response_id: 'msg_1',
        usage: {
          input_tokens: 25,
          cache_read_tokens: 100,
          cache_write_5m_tokens: 10,
          cache_write_1h_tokens: 20,
          output_tokens: 42,
          reasoning_tokens: 0,
        },
      });
    }
  });

  // https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool — message_delta's usage is
  // cumulative, server_tool_use included: the last one is the call's, never the sum of them.
  it('counts the web searches of the last message_delta, and not the free web fetches', () => {
    const m = new AnthropicStreamMeter();
    const tools = (search: number) => ({ web_search_requests: search, web_fetch_requests: 1 });
    m.push(
      Buffer.from(
        [
          ev('message_start', {
            message: {
              id: 'msg_2',
              model: 'claude-sonnet-4-5',
              usage: { input_tokens: 9, output_tokens: 1 },
            },
          }),
          ev('message_delta', { delta: {}, usage: { output_tokens: 20, server_tool_use: tools(1) } }),
          ev('message_delta', {
            delta: { stop_reason: 'end_turn' },
            usage: { output_tokens: 60, server_tool_use: tools(3) },
          }),
        ].join(''),
      ),
    );
    expect(m.facts().usage).toMatchObject({ input_tokens: 9, output_tokens: 60, web_search_requests: 3 });
  });

  // anthropics/anthropic-sdk-typescript src/resources/messages/messages.ts `MessageDeltaUsage`: input_tokens,
  // cache_read_input_tokens and cache_creation_input_tokens are cumulative in message_delta too, but the TTL split
  // (`cache_creation`) comes only in message_start. Writes the split does not cover are 5-minute writes.
  it("takes message_delta's cumulative input and cache counts, cache writes beyond message_start's split as 5-minute", () => {
    const m = new AnthropicStreamMeter();
    m.push(
      Buffer.from(
        [
          ev('message_start', {
            message: {
              id: 'msg_3',
              model: 'claude-sonnet-4-5',
              usage: {
                input_tokens: 25,
                cache_creation_input_tokens: 30,
                cache_read_input_tokens: 100,
                cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 },
                output_tokens: 1,
              },
            },
          }),
          ev('message_delta', {
            delta: { stop_reason: 'end_turn' },
            usage: {
              input_tokens: 40,
              cache_creation_input_tokens: 50,
              cache_read_input_tokens: 300,
              output_tokens: 60,
            },
          }),
        ].join(''),
      ),
    );
    expect(m.facts().usage).toMatchObject({
      input_tokens: 40,
      cache_read_tokens: 300,
      cache_write_5m_tokens: 30,
      cache_write_1h_tokens: 20,
      output_tokens: 60,
    });
  });

  it('keeps the streamed text for estimating an abandoned stream', () => {
    expect(run(200).m.outputText()).toBe('héllo ✓ message_delta');
  });

  // Thinking tokens are billed as output; a signature is not text the model wrote.
  it("counts an abandoned stream's thinking, not its signature", () => {
    const m = new AnthropicStreamMeter();
    m.push(
      Buffer.from(
        [
          ev('content_block_start', {
            index: 0,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          }),
          ev('content_block_delta', {
            index: 0,
            delta: { type: 'thinking_delta', thinking: 'Let me think.' },
          }),
          ev('content_block_delta', {
            index: 0,
            delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' },
          }),
          ev('content_block_start', {
            index: 1,
            content_block: { type: 'redacted_thinking', data: 'EmwKAhgB' },
          }),
        ].join(''),
      ),
    );
    expect(m.outputText()).toBe('Let me think.');
  });
});
