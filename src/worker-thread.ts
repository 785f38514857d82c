import { type ResourceLimits, Worker } from 'node:worker_threads';

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
  return fromSource
    ? new Worker(
        `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`,
        { eval: true, workerData, ...(resourceLimits ? { resourceLimits } : {}) },
      )
    : new Worker(url, { workerData, ...(resourceLimits ? { resourceLimits } : {}) });
}

/**
 * The buffer to move rather than copy to another thread: only one the view covers whole and nobody else holds (a
 * body Buffer.concat joined from chunks). A view into Node's allocation pool or a socket's read buffer is copied,
 * as moving it would take the memory from under the other views of it.
 */
export function owned(b: Uint8Array): ArrayBuffer[] {
  const ab = b.buffer;
  return ab instanceof ArrayBuffer &&
    ab.byteLength > Buffer.poolSize &&
    b.byteOffset === 0 &&
    b.byteLength === ab.byteLength
    ? [ab]
    : [];
}
