import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens as o200k } from 'gpt-tokenizer';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import { anthropicProvider as anthropic } from '../gateway/providers/anthropic/anthropic.js';
import { openAiInputText } from '../gateway/providers/openai/request.js';
import { countPromptTokens } from './prompt-tokens.js';
import { bodyTokenBound, countInputTokens, inputTokenBound } from './worst-case.js';

/**
 * The enforcer admits far from every limit at inputTokenBound instead of the tokenizer's count, so the bound must
 * never be below the count, or a reservation could fall short of the cost. Checked on real prompts: the routing
 * benchmark's questions (English, maths, code) and Claude Code session lines (JSON, tool output, non-ASCII).
 */
const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const present = existsSync(join(DATA, 'routing')) && existsSync(join(DATA, 'agent-logs'));
const plain = { disallowedSpecial: new Set<string>() };

function realPrompts(): string[] {
  const out: string[] = [];
  for (const f of ['mmlu-pro.jsonl', 'routellm-mmlu.jsonl', 'routellm-gsm8k.jsonl']) {
    const lines = readFileSync(join(DATA, 'routing', f), 'utf8').split('\n');
    // Every 7th line keeps the test under a few seconds and still spans every category.
    for (let i = 0; i < lines.length; i += 7) {
      const l = lines[i]!.trim();
      if (l !== '') out.push(String((JSON.parse(l) as { prompt: unknown }).prompt));
    }
  }
  const claude = join(DATA, 'agent-logs', 'claude', 'projects');
  for (const d of readdirSync(claude, { recursive: true, withFileTypes: true })) {
    if (!d.isFile() || !d.name.endsWith('.jsonl')) continue;
    const lines = readFileSync(join(d.parentPath, d.name), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 5) if (lines[i]!.length > 0) out.push(lines[i]!);
  }
  return out;
}

describe('inputTokenBound (UTF-8 bytes) is never below the tokenizer count', () => {
  it('holds for text that BPE handles worst: emoji, CJK, lone surrogates, special-token spellings', () => {
    for (const t of [
      '😀😀😀',
      '日本語のテキスト',
      `${String.fromCharCode(0xd800)}x${String.fromCharCode(0xdfff)}`,
      '<|endoftext|>',
      'a'.repeat(1000),
      ' \n\t',
      'é',
    ]) {
      const bytes = Buffer.byteLength(t, 'utf8');
      expect(o200k(t, plain)).toBeLessThanOrEqual(bytes);
      expect(cl100k(t, plain)).toBeLessThanOrEqual(bytes);
    }
  });

  it('includes tools and chat framing, and bounds countInputTokens', () => {
    const json = {
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    };
    const tools = JSON.stringify(json.tools);
    expect(inputTokenBound(json, 'hello wörld')).toBe(12 + Buffer.byteLength(tools) + 4 + 3 + 530);
    const counted = countInputTokens(json, 'hello wörld', (t) => o200k(t, plain));
    expect(counted).toBeLessThanOrEqual(inputTokenBound(json, 'hello wörld'));
  });

  it.skipIf(!present)(
    'holds on every sampled real prompt from ../shared/data, for o200k and cl100k',
    async () => {
      const prompts = realPrompts();
      expect(prompts.length).toBeGreaterThan(3000);
      let bytes = 0;
      let tokens = 0;
      for (const p of prompts) {
        const b = Buffer.byteLength(p, 'utf8');
        const n = await countPromptTokens(p);
        if (n > b || cl100k(p, plain) > b)
          throw new Error(`bound broken (${n} tokens, ${b} bytes): ${p.slice(0, 200)}`);
        bytes += b;
        tokens += n;
      }
      // The bound's price: how much a bounded reservation overstates the input (about 3-4x for this text).
      process.stdout.write(
        `inputTokenBound: ${prompts.length} prompts, ${bytes} bytes / ${tokens} o200k tokens = ${(bytes / tokens).toFixed(2)}x\n`,
      );
    },
    60_000,
  );
});

describe("bodyTokenBound (the body's bytes) is never below inputTokenBound", () => {
  const texts = ['', 'é', '😀 "quoted" \\ back', '日本語\n\t', String.fromCharCode(0xd800), '<|endoftext|>'];
  const bodies = [
    { model: 'm', messages: texts.map((content) => ({ role: 'user', content })) },
    { model: 'm', messages: [{ role: 'user', content: texts.map((text) => ({ type: 'text', text })) }] },
    { model: 'm', input: texts, instructions: 'é', prompt: ['a', 'b'] },
    { model: 'm', system: texts, messages: [{ role: 'user', content: [{ type: 'text', text: '😀' }] }] },
  ];

  it('holds for the OpenAI and Anthropic prompt text of bodies full of escapes and multi-byte characters', () => {
    for (const json of bodies)
      for (const raw of [JSON.stringify(json), JSON.stringify(json, null, 2)]) {
        const bytes = Buffer.byteLength(raw, 'utf8');
        const bound = bodyTokenBound(json, bytes)!;
        expect(bound).toBeGreaterThanOrEqual(inputTokenBound(json, openAiInputText(json)));
        expect(bound).toBeGreaterThanOrEqual(inputTokenBound(json, anthropic.inputText(json)));
      }
  });

  it('gives way (null) to inputTokenBound with tools, or a body that is not valid UTF-8', () => {
    const json = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    expect(bodyTokenBound(json, 50)).toBe(50 + 4 + 3);
    expect(bodyTokenBound({ ...json, tools: [{ type: 'function' }] }, 50)).toBeNull();
    expect(bodyTokenBound(json, null)).toBeNull();
  });
});
