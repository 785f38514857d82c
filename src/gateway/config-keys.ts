/**
 * The keys a config object takes, read from its zod schema: an unknown key's error names what is allowed there
 * (a misspelt `base-url` is told `base_url` exists), so the schema stays the one list of keys.
 */

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
export function allowedKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] | null {
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
