import { join } from 'node:path';
import { compileTree } from '../compile.js';

/**
 * Compiles src/ and the benchmark's targets to plain JavaScript under bench/.work/gw-js (bench/compile.ts): the
 * targets run as a deployed server does. `root` may be another copy of the sources (cpu.ts compares against one:
 * BASE=DIR).
 */
export async function buildTargets(
  root = join(import.meta.dirname, '..', '..'),
  out = join(root, 'bench', '.work', 'gw-js'),
): Promise<{ bareProxy: string; bareDispatchProxy: string; gateway: string }> {
  const targets = ['bare-proxy', 'bare-dispatch-proxy', 'gateway-target'];
  await compileTree(
    root,
    out,
    targets.map((t) => join('bench', 'gateway', `${t}.ts`)),
  );
  return {
    bareProxy: join(out, 'bench', 'gateway', 'bare-proxy.js'),
    bareDispatchProxy: join(out, 'bench', 'gateway', 'bare-dispatch-proxy.js'),
    gateway: join(out, 'bench', 'gateway', 'gateway-target.js'),
  };
}
