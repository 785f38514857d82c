import { z } from 'zod';

/**
 * What zod found wrong, said for a person editing a file or a request: an unknown key is told the keys allowed beside
 * it, read from the schema itself (a misspelt `base-url` learns `base_url` exists); a missing key that it is
 * required; a map key failing its own schema ("Invalid key in record") the reason inside. A schema's own message
 * is kept; zod's default ones are put in plain words (what was expected, and the kind of value found). Parse with `{ reportInput: true }` so a missing key can be told apart from a wrong
 * type; the input is only compared here, never written into a message (a provider key pasted in a file stays out).
 */
export function problemOf(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(schema, issue.path) ?? [];
    const unknown = issue.keys.map((k) => {
      const meant = allowed.find((a) => loose(a) === loose(k));
      return meant === undefined ? JSON.stringify(k) : `${JSON.stringify(k)} (did you mean "${meant}"?)`;
    });
    // A short list is worth reading in full; a long one (a canonical record's 45 fields) is the format's docs' job.
    const list = allowed.length > 0 && allowed.length <= 12 ? `; allowed here: ${allowed.join(', ')}` : '';
    return `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}${list}`;
  }
  // A schema's own message stands; zod's defaults ("Too big: expected number to be <=65535") are said plainly.
  const byDefault = z.config().localeError?.(issue as never);
  if ((typeof byDefault === 'string' ? byDefault : byDefault?.message) !== issue.message)
    return issue.message;
  if (issue.input === undefined && issue.code === 'invalid_type') return `required (${noun(issue.expected)})`;
  if (issue.input === undefined && issue.code === 'invalid_value') return `required (${oneOf(issue.values)})`;
  if (issue.input === undefined && issue.code === 'invalid_union') return 'required';
  return plainly(issue) ?? issue.message;
}

/**
 * zod's default messages for the common issues, in words. Only the schema and the input's kind are named, never
 * the input itself: a provider key pasted where a number goes must not be echoed into a log.
 */
function plainly(issue: z.core.$ZodIssue): string | null {
  switch (issue.code) {
    case 'invalid_type':
      // A fraction where a whole number goes (or NaN, Infinity) is a number still: what it should be says enough.
      if (typeof issue.input === 'number') return `expected ${noun(issue.expected)}`;
      return `expected ${noun(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}`;
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const bound = Number(big ? issue.maximum : issue.minimum);
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'number' ? '' : ' items';
      if (!big && bound === 1 && issue.inclusive && unit !== '') return 'must not be empty';
      const [at, than] = big ? ['at most', 'less than'] : ['at least', 'more than'];
      return `must be ${issue.inclusive ? at : than} ${bound}${unit}`;
    }
    default:
      return null;
  }
}

const NOUNS: Record<string, string> = {
  array: 'a list',
  object: 'an object',
  record: 'an object',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  date: 'a date',
};
const noun = (type: string): string => NOUNS[type] ?? type;
const kindOf = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'boolean'
        ? 'true or false'
        : noun(typeof v);
const quote = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const oneOf = (values: readonly unknown[]): string =>
  values.length === 1 ? quote(values[0]) : `one of ${values.map(quote).join(', ')}`;

/** The same key but for case and separators: `inputTokens`, `input-tokens` and `input_tokens`. */
const loose = (key: string): string => key.toLowerCase().replace(/[-_\s]/g, '');

/** A zod schema's definition, as zod 4 keeps it (`_zod.def`). */
export type ZodDef = { type: string; [k: string]: unknown };

/**
 * A schema's definition past the wrappers that hold one schema and add nothing to its keys (optional, nullable,
 * default, readonly, catch, and a pipe's input).
 */
export function zodDef(s: unknown): ZodDef {
  for (;;) {
    const def = (s as { _zod: { def: ZodDef } })._zod.def;
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type))
      s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else return def;
  }
}

/**
 * An object schema's keys with their schemas, less those that only exist to refuse a value (`key: z.never()`, as a
 * provider key pasted in the config file is refused): they are not what to write.
 */
export function offeredKeys(object: ZodDef): [string, unknown][] {
  return Object.entries(object.shape as Record<string, unknown>).filter(
    ([, v]) => zodDef(v).type !== 'never',
  );
}

/**
 * The keys allowed in the object at `path` (as a zod issue gives it: record keys and array indices included), or
 * null where the path does not lead to one object.
 */
function allowedKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] | null {
  let def = zodDef(schema);
  for (const seg of path) {
    if (def.type === 'object') {
      const next = (def.shape as Record<string, unknown>)[String(seg)];
      if (next === undefined) return null;
      def = zodDef(next);
    } else if (def.type === 'record') def = zodDef(def.valueType);
    else if (def.type === 'array') def = zodDef(def.element);
    else return null;
  }
  return def.type === 'object' ? offeredKeys(def).map(([k]) => k) : null;
}
