import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { writeCatalogSnapshot } from '../../src/pricing/bundled-catalog.js';

/**
 * Compiles src/ and the benchmark's targets to plain ESM JavaScript under bench/.work/gw-js, file for file (no
 * bundling, so `import.meta.url` and the pricing data files keep their relative places). Targets then run without
 * a TypeScript loader, whose own thread and caches would add CPU and RSS that a deployed server does not have.
 * `root` may be another copy of the sources (cpu.ts compares against one: BASE=DIR).
 */
export async function buildTargets(
  root = join(import.meta.dirname, '..', '..'),
  out = join(root, 'bench', '.work', 'gw-js'),
): Promise<{ bareProxy: string; bareDispatchProxy: string; gateway: string }> {
  rmSync(out, { recursive: true, force: true });
  const entryPoints = [
    ...tsFiles(join(root, 'src')),
    join(root, 'bench', 'gateway', 'bare-proxy.ts'),
    join(root, 'bench', 'gateway', 'bare-dispatch-proxy.ts'),
    join(root, 'bench', 'gateway', 'gateway-target.ts'),
    // An older copy of the sources (BASE) may not have every target.
  ].filter((p) => existsSync(p));
  await build({ entryPoints, outdir: out, outbase: root, format: 'esm', platform: 'node', target: 'node20' });
  cpSync(join(root, 'src', 'pricing', 'data'), join(out, 'src', 'pricing', 'data'), { recursive: true });
  // As scripts/postbuild.mjs does for dist/: the deployed server reads the catalog from this snapshot.
  await writeCatalogSnapshot(join(out, 'src', 'pricing', 'data'));
  return {
    bareProxy: join(out, 'bench', 'gateway', 'bare-proxy.js'),
    bareDispatchProxy: join(out, 'bench', 'gateway', 'bare-dispatch-proxy.js'),
    gateway: join(out, 'bench', 'gateway', 'gateway-target.js'),
  };
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
    .map((d) => join(d.parentPath, d.name))
    .filter((p) => !relative(dir, p).startsWith('..'));
}
