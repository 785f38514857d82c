import { type ResourceLimits, Worker } from 'node:worker_threads';
import { restoreKeptV8Flags } from './v8-flags.js';

/**
 * Starts the worker entry `name` (a module beside `from`, without extension) with `workerData`; `from` is the
 * caller's import.meta.url. Under vitest/tsx the modules are TypeScript and the worker must be too; the built CLI
 * runs the compiled .js.
 */
export function spawnWorker(
  from: string,
  name: string,
  workerData: unknown,
  resourceLimits?: ResourceLimits,
): Worker {
  const fromSource = from.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, from);
  // Node 20 will not start a worker from a .ts file even with tsx loaded: register tsx first, then import it.
  const w = fromSource
    ? new Worker(
        `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`,
        { eval: true, workerData, ...(resourceLimits ? { resourceLimits } : {}) },
      )
    : new Worker(url, { workerData, ...(resourceLimits ? { resourceLimits } : {}) });
  // Its start-up reset the V8 flags this process set while running (before Node 24): 'online' comes after that.
  w.once('online', restoreKeptV8Flags);
  return w;
}

/**
 * The buffer to move rather than copy to another thread. Only memory no other view can use: a view covering a
 * buffer whole (as Buffer.concat makes), or any view into one the caller allocated itself (`alone`). Never Node's
 * shared allocation pool (small buffers) or a part of a socket's read buffer: moving those would take the memory
 * from under the other views of it.
 */
export function owned(b: Uint8Array, alone = false): ArrayBuffer[] {
  const ab = b.buffer;
  if (!(ab instanceof ArrayBuffer) || ab.byteLength <= Buffer.poolSize) return [];
  return alone || (b.byteOffset === 0 && b.byteLength === ab.byteLength) ? [ab] : [];
}
