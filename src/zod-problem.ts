import type { z } from 'zod';

/**
 * What zod found wrong, said for a person editing a file or a request: an unknown key is told the keys allowed beside
 * it, read from the schema itself (a misspelt `base-url` learns `base_url` exists); a missing key that it is
 * required; a map key failing its own schema ("Invalid key in record") the reason inside. Every other issue keeps
 * the schema's own message. Parse with `{ reportInput: true }` so a missing key can be told apart from a wrong
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
  if (issue.input === undefined && issue.code === 'invalid_type') return `required (${issue.expected})`;
  if (issue.input === undefined && issue.code === 'invalid_union') return 'required';
  return issue.message;
}

/** The same key but for case and separators: `inputTokens`, `input-tokens` and `input_tokens`. */
const loose = (key: string): string => key.toLowerCase().replace(/[-_\s]/g, '');

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Wrappers that hold one schema and add nothing to its keys. */
function unwrap(s: unknown): unknown {
  for (;;) {
    const def = defOf(s);
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type))
      s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else return s;
  }
}

/**
 * The keys allowed in the object at `path` (as a zod issue gives it: record keys and array indices included), or
 * null where the path does not lead to one object. Keys that only exist to refuse a value (`key: z.never()`) are
 * left out: they are not what to write.
 */
function allowedKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] | null {
  let s = unwrap(schema);
  for (const seg of path) {
    const def = defOf(s);
    if (def.type === 'object') {
      const next = (def.shape as Record<string, unknown>)[String(seg)];
      if (next === undefined) return null;
      s = unwrap(next);
    } else if (def.type === 'record') s = unwrap(def.valueType);
    else if (def.type === 'array') s = unwrap(def.element);
    else return null;
  }
  const def = defOf(s);
  if (def.type !== 'object') return null;
  return Object.entries(def.shape as Record<string, unknown>)
    .filter(([, v]) => defOf(unwrap(v)).type !== 'never')
    .map(([k]) => k);
}
