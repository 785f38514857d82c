import { describe, expect, it } from 'vitest';
import { answerText, promptText } from './provider.js';

// Response shapes from the providers' API references, answer text only.
describe('answerText', () => {
  it('reads chat messages with their tool calls, and legacy completions', () => {
    const chat = {
      choices: [
        {
          message: {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }],
          },
        },
      ],
      usage: null,
    };
    expect(answerText(chat)).toBe('Checking.\n{"q":1}');
    expect(answerText({ choices: [{ text: 'Once upon', index: 0 }] })).toBe('Once upon');
  });

  it("reads a chat message's reasoning, as OpenRouter (reasoning) and DeepSeek or vLLM (reasoning_content) send it", () => {
    const message = (m: object) => ({ choices: [{ index: 0, message: { role: 'assistant', ...m } }] });
    expect(answerText(message({ reasoning: 'Let me think.', content: 'Yes.' }))).toBe('Yes.\nLet me think.');
    expect(answerText(message({ reasoning_content: 'Let me think.', content: 'Yes.' }))).toBe(
      'Yes.\nLet me think.',
    );
  });

  it('reads Responses API output items and Anthropic content blocks', () => {
    const responses = {
      instructions: 'not the answer',
      output: [
        { type: 'reasoning', summary: [] },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Hi.', annotations: [] }],
        },
        { type: 'function_call', name: 'f', arguments: '{}' },
      ],
    };
    expect(answerText(responses)).toBe('Hi.\n{}');
    const messages = {
      content: [
        { type: 'thinking', thinking: 'Let me see.', signature: 'x' },
        { type: 'text', text: 'Done.' },
        { type: 'tool_use', id: 'tu', name: 'g', input: { a: 1 } },
      ],
    };
    expect(answerText(messages)).toBe('Let me see.\nDone.\n{"a":1}');
  });

  it('is empty for anything else', () => {
    expect(answerText(null)).toBe('');
    expect(answerText({ object: 'list', data: [] })).toBe('');
  });
});

describe('promptText', () => {
  it('takes every string and part text of the messages, in order', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hi' },
          { type: 'image_url', image_url: { url: 'u' } },
        ],
      },
    ];
    expect(promptText('sys', messages)).toBe('sys\nBe brief.\nHi');
  });

  // Valid JSON nested far past the call stack's depth: a provider answers 400, and counting its tokens must not throw
  // first (the gateway would answer 500 or fail to record the call).
  it('reads arrays nested 200,000 deep', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(promptText([{ role: 'user', content: [{ type: 'text', text: 'top' }, deep] }])).toBe(
      'top\nbottom',
    );
    expect(answerText({ choices: [{ message: { content: deep } }] })).toBe('bottom');
  });
});
