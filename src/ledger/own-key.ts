/**
 * Stores `value` under `key` as the object's own key. `o[key] = value` with the key `__proto__` sets the object's
 * prototype instead (a string value is then ignored), so a tag named `__proto__` (from a gateway header, an agent
 * log, an OTLP attribute, a CSV `tag.` column) would be silently lost; stored as its own key it is kept, grouped and
 * reported like any other. Every other key is a plain assignment, as fast as before.
 */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
