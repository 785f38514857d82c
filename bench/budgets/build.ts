import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

/**
 * Compiles src/ and the benchmark's server target to plain ESM JavaScript under bench/.work/budgets-js, file for file
 * (as bench/gateway/build.ts does), so the servers measured run without a TypeScript loader, whose own thread and
 * hooks would add CPU time that a deployed server does not spend.
 */
export async function buildTarget(): Promise<string> {
  const root = join(import.meta.dirname, '..', '..');
  const out = join(root, 'bench', '.work', 'budgets-js');
  rmSync(out, { recursive: true, force: true });
  const entryPoints = [...tsFiles(join(root, 'src')), join(root, 'bench', 'budgets', 'target.ts')];
  await build({ entryPoints, outdir: out, outbase: root, format: 'esm', platform: 'node', target: 'node20' });
  cpSync(join(root, 'src', 'pricing', 'data'), join(out, 'src', 'pricing', 'data'), { recursive: true });
  return join(out, 'bench', 'budgets', 'target.js');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
    .map((d) => join(d.parentPath, d.name))
    .filter((p) => !relative(dir, p).startsWith('..'));
}
