import { describe, expect, it } from 'vitest';
import { normaliseText, requestFingerprint } from './runaway-fingerprint.js';

const chat = (model: string, last: string, id = 'call_1') => ({
  model,
  messages: [
    { role: 'system', content: 'You are a coding agent.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id, type: 'function', function: { name: 'run_tests' } }],
    },
    { role: 'tool', tool_call_id: id, content: last },
  ],
});

describe('requestFingerprint', () => {
  it('is equal for OpenAI requests that differ only in digits, whitespace and call ids', () => {
    const a = requestFingerprint(
      chat('gpt-4o', 'FAILED tests/a.py:12  AssertionError at 10:31:02', 'call_abc'),
    );
    const b = requestFingerprint(
      chat('gpt-4o', 'FAILED tests/a.py:87 AssertionError\nat 10:32:45', 'call_xyz'),
    );
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toBe(a);
  });

  it('differs with the model or the text', () => {
    const a = requestFingerprint(chat('gpt-4o', 'FAILED tests/a.py'));
    expect(requestFingerprint(chat('gpt-4o-mini', 'FAILED tests/a.py'))).not.toBe(a);
    expect(requestFingerprint(chat('gpt-4o', 'PASSED tests/a.py'))).not.toBe(a);
  });

  it('reads a message nested deeper than the call stack goes, in order, as a caller may send it', () => {
    const depth = 100_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"a",["b"]${']'.repeat(depth)}`) as unknown;
    const turn = (content: unknown) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
    expect(requestFingerprint(turn(deep))).toBe(requestFingerprint(turn(['a', 'b'])));
    expect(requestFingerprint(turn(deep))).not.toBe(requestFingerprint(turn(['b', 'a'])));
  });

  it('reads only the last two messages, so a growing conversation still repeats', () => {
    const long = chat('gpt-4o', 'same error');
    long.messages.unshift({ role: 'user', content: 'much earlier turn' });
    expect(requestFingerprint(long)).toBe(requestFingerprint(chat('gpt-4o', 'same error')));
  });

  it('reads Anthropic messages with tool results', () => {
    const body = (useId: string, text: string) => ({
      model: 'claude-opus-4-1',
      system: 'You are Claude Code.',
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: useId, name: 'Bash', input: { command: 'npm test' } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: useId, content: [{ type: 'text', text }] }],
        },
      ],
    });
    const a = requestFingerprint(body('toolu_01A', '3 failing'));
    expect(requestFingerprint(body('toolu_02B', '4 failing'))).toBe(a);
    expect(requestFingerprint(body('toolu_01A', 'all passing'))).not.toBe(a);
  });

  it('reads OpenAI responses input, as a string or items', () => {
    const s = requestFingerprint({ model: 'gpt-5', input: 'try again 1' });
    expect(requestFingerprint({ model: 'gpt-5', input: 'try  again 2' })).toBe(s);
    const items = requestFingerprint({
      model: 'gpt-5',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
    });
    expect(items).toMatch(/^[0-9a-f]{32}$/);
    expect(items).not.toBe(s);
  });

  it('is null for bodies without messages or input', () => {
    expect(requestFingerprint(null)).toBeNull();
    expect(requestFingerprint({ model: 'text-embedding-3-small' })).toBeNull();
    expect(requestFingerprint({ model: 'gpt-4o', messages: [] })).toBeNull();
  });
});

describe('normaliseText', () => {
  it('folds digit runs and whitespace', () => {
    expect(normaliseText('  line 812:\n\tretry #3 ')).toBe('line 0: retry #0');
  });
});
