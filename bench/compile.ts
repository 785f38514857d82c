import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { writeCatalogSnapshot } from '../src/pricing/bundled-catalog.js';

/**
 * Compiles src/ and a benchmark's own files (`entries`, paths under `root`) to plain ESM JavaScript under `out`, file
 * for file (no bundling, so `import.meta.url` and the pricing data files keep their relative places), as
 * `npm run build` does for a deployed server. What runs from there runs without a TypeScript loader, whose own
 * thread, caches and helpers (tsx keeps function names with a call per closure made) a deployed server does not
 * have. An entry missing from `root` (an older copy of the sources) is left out.
 */
export async function compileTree(root: string, out: string, entries: readonly string[]): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  const entryPoints = [...tsFiles(join(root, 'src')), ...entries.map((e) => join(root, e))].filter((p) =>
    existsSync(p),
  );
  await build({ entryPoints, outdir: out, outbase: root, format: 'esm', platform: 'node', target: 'node20' });
  cpSync(join(root, 'src', 'pricing', 'data'), join(out, 'src', 'pricing', 'data'), { recursive: true });
  // As scripts/postbuild.mjs does for dist/: the deployed server reads the catalog from this snapshot.
  await writeCatalogSnapshot(join(out, 'src', 'pricing', 'data'));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
    .map((d) => join(d.parentPath, d.name))
    .filter((p) => !relative(dir, p).startsWith('..'));
}
