import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { problemOf } from './zod-problem.js';

const schema = z.strictObject({
  list: z.array(z.string()),
  whole: z.number().int(),
  port: z.number().int().max(65535),
  positive: z.number().positive(),
  name: z.string().min(1),
  short: z.string().max(3),
  flag: z.boolean(),
  mode: z.enum(['fast', 'slow']),
  kind: z.literal('chat'),
  items: z.array(z.number()).min(2),
  own: z.number().min(1, { message: 'expected 1 or more requests' }),
});

/** Each problem as `path: message`, parsed as the callers parse (reportInput). */
const problems = (input: unknown): string[] => {
  const r = schema.safeParse(input, { reportInput: true });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${problemOf(schema, i)}`);
};

describe('problemOf', () => {
  it("says zod's default checks in words: what was expected and the kind of value found, never the value", () => {
    expect(
      problems({
        list: 'sk-secret-1',
        whole: 1.5,
        port: 70000,
        positive: 0,
        name: '',
        short: 'sk-secret-2',
        flag: 'sk-secret-3',
        mode: 'sk-secret-4',
        kind: 'embeddings',
        items: [1],
        own: 0,
      }),
    ).toEqual([
      'list: expected a list, got a string',
      'whole: expected a whole number',
      'port: must be at most 65535',
      'positive: must be more than 0',
      'name: must not be empty',
      'short: must be at most 3 characters',
      'flag: expected true or false, got a string',
      'mode: expected one of "fast", "slow"',
      'kind: expected "chat"',
      'items: must be at least 2 items',
      // A schema's own message is kept.
      'own: expected 1 or more requests',
    ]);
  });

  it('tells a missing key that it is required, and what goes there', () => {
    expect(problems({})).toEqual([
      'list: required (a list)',
      'whole: required (a number)',
      'port: required (a number)',
      'positive: required (a number)',
      'name: required (a string)',
      'short: required (a string)',
      'flag: required (true or false)',
      'mode: required (one of "fast", "slow")',
      'kind: required ("chat")',
      'items: required (a list)',
      'own: required (a number)',
    ]);
  });

  it('names an unknown key with the keys allowed beside it', () => {
    const [problem] = problems({
      ...Object.fromEntries(schema.keyof().options.map((k) => [k, null])),
      Mode: 1,
    }).filter((p) => p.startsWith(':'));
    expect(problem).toBe(
      ': unknown key "Mode" (did you mean "mode"?); allowed here: list, whole, port, positive, name, short, flag, mode, kind, items, own',
    );
  });
});
