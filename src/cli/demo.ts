import { emptySummary, type ImportSummary, importEvents } from '../ingest/import-files.js';
import { importInWorker } from '../ingest/worker/import-in-worker.js';
import { demoRepoPath, writeDemoRepo } from '../roi/demo-repo.js';
import {
  checkDemoOptions,
  DEMO_DEFAULTS,
  DEMO_MAX_DAYS,
  DEMO_MAX_PEOPLE,
  estimateDemoEvents,
  type DemoOptions as GeneratorOptions,
  generateDemo,
} from '../sources/demo/index.js';
import type { Store } from '../store/store.js';
import { type LedgerOptions, ledgerPath, nowMicros, withStore } from './context.js';
import { parsePositiveInt } from './filters.js';
import { formatSummary } from './import.js';
import { loadCliPricer } from './pricer.js';
import { progress } from './progress.js';

export interface DemoOptions extends LedgerOptions {
  seed?: string;
  people?: string;
  days?: string;
}

/** The worker prices the demo's events itself. */
function unreachable(): never {
  throw new Error('the demo is priced in its worker');
}

/** The generator's options from the flags, checked: a bad one is an error before anything is written. */
function demoOptions(o: DemoOptions): GeneratorOptions {
  const now = nowMicros();
  const opts = {
    seed: o.seed !== undefined ? Number(o.seed) : DEMO_DEFAULTS.seed,
    people: parsePositiveInt('people', o.people, DEMO_MAX_PEOPLE) ?? DEMO_DEFAULTS.people,
    days: parsePositiveInt('days', o.days, DEMO_MAX_DAYS) ?? DEMO_DEFAULTS.days,
    // The range ends now: no call in the demo happens in the future.
    end: now,
    ingestedAt: now,
  };
  checkDemoOptions(opts);
  return opts;
}

/** Fills the ledger with the deterministic demo organisation (docs/demo.md), ending now. */
export async function fillDemo(
  store: Store,
  o: DemoOptions,
  out: (s: string) => void,
  opts: GeneratorOptions = demoOptions(o),
): Promise<void> {
  const now = opts.ingestedAt;
  const bar = progress('demo', 'events');
  const started = performance.now();
  const expected = estimateDemoEvents(opts);
  const onProgress = (done: number, total: number) => bar.update(done, total);
  const appendPrepared = store.appendPrepared?.bind(store);
  let summary: ImportSummary;
  if (appendPrepared) {
    // Generated, priced and encoded in a worker thread while this one stores, as a canonical import is. The default
    // demo (961k events), alternating: 10.1-10.4 s against 12.4-14.3 s on one thread, peak RSS 644-648 against
    // 583-594 MB (the worker's young generation: import-in-worker.ts).
    summary = emptySummary();
    await importInWorker(
      'demo',
      [{ path: 'demo', size: expected }],
      { store, price: unreachable, ingestedAt: now, onProgress },
      appendPrepared,
      { overridesPath: o.prices, cwd: process.cwd(), env: process.env },
      false,
      summary,
      opts,
    ).finally(() => bar.stop());
  } else {
    const pricer = await loadCliPricer(o);
    summary = await importEvents(generateDemo(opts), expected, {
      store,
      price: (e) => pricer.price(e),
      ingestedAt: now,
      onProgress,
    }).finally(() => bar.stop());
  }
  out(
    `demo organisation: ${opts.people} people, ${opts.days} days, seed ${opts.seed}\n` +
      formatSummary(summary, (performance.now() - started) / 1000),
  );
  out(await writeRepo(ledgerPath(o), opts));
}

/**
 * The demo's repositories beside the ledger, for the ROI report (docs/demo.md): said in one line. The demo's events
 * are in already, so a git that cannot run says so and stops nothing.
 */
async function writeRepo(ledger: string, opts: GeneratorOptions): Promise<string> {
  const dir = demoRepoPath(ledger);
  const started = performance.now();
  try {
    const changes = await writeDemoRepo(dir, opts);
    const s = ((performance.now() - started) / 1000).toFixed(1);
    const count = changes.toLocaleString('en-US');
    return `demo repositories: ${count} changes at ${dir} in ${s} s (the ROI report's work)\n`;
  } catch (e) {
    return `demo repositories not written (the ROI report has no work to show): ${(e as Error).message}\n`;
  }
}

/**
 * A bulk fill, so the rollups are rebuilt once at close (deferRollups): kept per batch, their compactions left the 10M
 * demo file with 102 free blocks of 1,374 (36.4 → 33.6 B/event, docs/store.md).
 */
export async function demoCommand(o: DemoOptions, out: (s: string) => void): Promise<void> {
  // Checked before the ledger is opened: a bad option must not leave a new, empty ledger behind.
  const opts = demoOptions(o);
  return withStore(o, (store) => fillDemo(store, o, out, opts), { deferRollups: true });
}
