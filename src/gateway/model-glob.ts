/**
 * A model-name glob as the config and virtual keys write them (`llama-*`, `gpt-4o?`): `*` any run of characters,
 * `?` one, everything else itself, matched against the whole name.
 */
export function modelGlob(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${escaped}$`);
}
