import { type ResourceLimits, Worker } from 'node:worker_threads';

// Under vitest/tsx these modules are TypeScript and the worker must be too; the built CLI runs the compiled .js.
const fromSource = import.meta.url.endsWith('.ts');

/** Starts the worker entry `name` (a module of this folder, without extension) with `workerData`. */
export function spawnWorker(name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url);
  // Node 20 will not start a worker from a .ts file even with tsx loaded: register tsx first, then import it.
  return fromSource
    ? new Worker(
        `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`,
        { eval: true, workerData },
      )
    : new Worker(url, { workerData, resourceLimits });
}
