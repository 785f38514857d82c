import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { type FileImportOptions, importFiles, planImport, readEarly } from '../ingest/import-files.js';
import { AGENT_LOG_KINDS, IMPORT_KINDS, type ImportKind } from '../ingest/kinds.js';
import { type CachedStates, nothingNew, readStateCache, writeStateCache } from '../ingest/state-cache.js';
import { addSummary, emptySummary, type ImportSummary } from '../ingest/summary.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Discovery } from '../sources/find-files.js';
import type { FileState } from '../store/import-records.js';
import type { Store } from '../store/store.js';
import {
  type LedgerOptions,
  ledgerPath,
  nowMicros,
  osUser,
  type StoreOpenOptions,
  withStore,
} from './context.js';
import { counted } from './group-digits.js';
import { formatSummary } from './import-format.js';
import { progress } from './progress.js';
import { keepYoungGenerationSmall } from './young-generation.js';

export { formatSummary } from './import-format.js';

export interface ImportOptions extends LedgerOptions {
  user?: string;
  team?: string;
  project?: string;
  /** Read every file from the start, ignoring what earlier imports read (the store still drops duplicates). */
  full?: boolean;
}

/**
 * How a canonical import (jsonl, csv) opens the ledger. One DuckDB thread: those files are parsed in a worker thread
 * on the other core, and a second DuckDB thread only fought it for the CPU (1M-event import, 4 alternating pairs under load:
 * 20.7-26.4 s and ~35 CPU-s with one thread, 27-39 s and ~42 CPU-s with two). Rollups are rebuilt once at close
 * (deferRollups), so the pool holds no pending rollup rows: 128MB took the 1M-event import's peak RSS from 746-790 MB
 * to 628-654 MB at the same CPU (3 alternating pairs each). At schema 3, with rollup rows pending in the pool, a 128MB
 * pool had made the 10M import slower (462 s against 339 s, on different loads); not re-measured at 10M since.
 */
const IMPORT_STORE: StoreOpenOptions = { threads: 1, deferRollups: true, memoryLimit: '128MB' };

/**
 * How agent-log and provider-export imports open the ledger: one DuckDB thread, rollups rebuilt at close. Their
 * events reach the store in one or a few appends after the files are read, so a second thread had nothing to overlap
 * with and only added memory (Claude Code logs, 300 MB: peak RSS 269–278 MB against 284–289, the same 1.44–1.51 s),
 * and rebuilding the touched days once at close took less memory than keeping rollup rows per append (258–261
 * against 272–275 MB, same time). Such imports also keep V8's young generation small (young-generation.ts).
 */
const LOG_STORE: StoreOpenOptions = { threads: 1, deferRollups: true };

/** An import of agent logs or provider exports (not the canonical files, which have their own worker). */
function importLogs(
  o: ImportOptions,
  jobs: readonly Job[],
  out: (s: string) => void,
): Promise<ImportSummary[]> {
  keepYoungGenerationSmall();
  return importJobs(o, jobs, out, LOG_STORE);
}

const KIND_NAMES = ['auto', ...Object.keys(IMPORT_KINDS)];

/**
 * `tokenledger import KIND [PATHS…]`: agent logs (AGENT_LOG_KINDS) from the given folders or their default ones;
 * provider exports and canonical files from the given files; `auto` every local agent log it finds.
 */
export async function importCommand(
  kind: string,
  paths: string[],
  o: ImportOptions,
  out: (s: string) => void,
): Promise<ImportSummary> {
  if (kind === 'auto') {
    if (paths.length > 0) throw new TokenledgerError('CLI_BAD_OPTION', 'import auto takes no paths');
    const summaries = await importLogs(o, await localAgentLogs(process.env, homedir()), out);
    const total = emptySummary();
    for (const s of summaries) addSummary(total, s);
    return total;
  }
  const k = IMPORT_KINDS[kind];
  if (!k) {
    throw new TokenledgerError(
      'CLI_UNKNOWN_SOURCE',
      `unknown source "${kind}": use one of ${KIND_NAMES.join(', ')}`,
    );
  }
  let files = paths;
  let said: string | null = null;
  if (k.discover) {
    const d = await k.discover({ env: process.env, home: homedir(), dirs: paths });
    said = describeDiscovery(kind, d);
    files = d.files;
    if (paths.length > 0 && d.missing.length > 0) {
      out(said);
      throw new TokenledgerError('CLI_NO_FILE', `${d.missing.join(', ')}: no such file or folder`);
    }
  } else {
    if (paths.length === 0)
      throw new TokenledgerError('CLI_NO_FILE', `import ${kind} needs at least one FILE`);
    for (const p of paths) {
      if (!existsSync(p)) throw new TokenledgerError('CLI_NO_FILE', `${p}: no such file`);
      // Imports remember how far they read each file, so they take regular files: no folders, pipes or devices.
      if (!statSync(p).isFile())
        throw new TokenledgerError(
          'CLI_NO_FILE',
          statSync(p).isDirectory()
            ? `${p}: a folder; import ${kind} takes files (name each, or a shell glob such as ${join(p, '*')})`
            : `${p}: not a regular file; import ${kind} takes files`,
        );
    }
  }
  const job: Job = { kind, k, files, said, ...(paths.length > 0 ? { named: true as const } : {}) };
  const [summary] = k.worker
    ? await importJobs(o, [job], out, IMPORT_STORE)
    : await importLogs(o, [job], out);
  return summary!;
}

/** This machine's agent logs, found in each agent's default folders, as `import auto` finds them. */
export type LocalAgentLogs = (Job & { said: string })[];

/** Each agent's logs in its default folders; a tool with no logs here is only mentioned (`files` null). */
export async function localAgentLogs(env: NodeJS.ProcessEnv, home: string): Promise<LocalAgentLogs> {
  const jobs: (Job & { said: string })[] = [];
  for (const kind of AGENT_LOG_KINDS) {
    const k = IMPORT_KINDS[kind]!;
    const d = await k.discover!({ env, home });
    jobs.push({
      kind,
      k,
      files: d.files.length > 0 ? d.files : null,
      said: describeDiscovery(kind, d),
      found: true,
    });
  }
  return jobs;
}

/** One kind's import: what it reads, and what discovery found (printed before its summary). */
interface Job {
  kind: string;
  k: ImportKind;
  /** null: nothing to import, only `said` is printed (`import auto` for a tool with no logs here). */
  files: readonly string[] | null;
  said: string | null;
  /** Found in the agent's default folders (`import auto`, `npm start`), not named by the user. */
  found?: true;
  /** Folders or files the user named (`import <agent> DIR…`): they may be another tool's logs. */
  named?: true;
}

/**
 * Imports the jobs into the ledger. When the state cache (ingest/state-cache.ts) shows that none of them has
 * anything new, says so without opening the ledger: DuckDB is not even loaded. Otherwise imports them all, then
 * refreshes the cache from the ledger's own states once it is closed.
 */
async function importJobs(
  o: ImportOptions,
  jobs: readonly Job[],
  out: (s: string) => void,
  open: StoreOpenOptions,
): Promise<ImportSummary[]> {
  const started = performance.now();
  const path = ledgerPath(o);
  const cached = readStateCache(path);
  const unchanged = o.full
    ? null
    : jobs.map((j) => (j.files === null ? emptySummary() : unchangedImport(j, cached)));
  if (unchanged?.every((s) => s !== null))
    return jobs.map((j, i) => {
      if (j.said !== null) out(j.said);
      if (j.files !== null) out(formatSummary(unchanged[i]!, (performance.now() - started) / 1000, true));
      return unchanged[i]!;
    });
  const states: CachedStates = { ...cached };
  // The first job's files are read while DuckDB loads, when what the ledger holds of them is known without it:
  // from the state cache, or nothing for a ledger not yet made.
  const first = jobs.find((j) => j.files !== null);
  const firstRead = first ? kindRead(first, o) : null;
  const before = cached ?? (existsSync(path) || existsSync(`${path}.wal`) ? null : {});
  const readers = firstRead?.options.readers;
  if (first && readers && before) {
    const known = new Map((before[first.k.id] ?? []).map((s) => [s.path, s]));
    readers.early = readEarly(readers, first.files!, known, firstRead.ctx, firstRead.options);
  }
  // Something will be read: the pricer loads while DuckDB opens the ledger on its own threads.
  const loadPricer = pricerOnce(o);
  loadPricer().catch(() => undefined); // awaited (and its error reported) when the first file is read
  const summaries = await withStore(
    o,
    async (store) => {
      const done: ImportSummary[] = [];
      for (const j of jobs) {
        if (j.said !== null) out(j.said);
        if (j.files === null || (await telemetryTakesIt(store, j, out))) {
          done.push(emptySummary());
          continue;
        }
        done.push(await importKind(store, j, o, out, j === first ? firstRead! : kindRead(j, o), loadPricer));
        const saved = j.k.mode === 'always' ? undefined : await store.records?.fileStates(j.k.id);
        if (saved) states[j.k.id] = [...saved.values()];
      }
      return done;
    },
    open,
  ).finally(() => readers?.early?.reads.stop());
  writeStateCache(path, states);
  return summaries;
}

/** The summary of importing `job` when the cache shows every file of it unchanged (nothing is read); else null. */
function unchangedImport(job: Job, cached: CachedStates | null): ImportSummary | null {
  const states = cached?.[job.k.id];
  if (job.k.mode === 'always' || states === undefined) return null;
  const files: { path: string; facts: { size: number; mtimeMs: number } }[] = [];
  for (const p of new Set((job.files ?? []).map((f) => resolve(f)))) {
    const s = statSync(p, { throwIfNoEntry: false });
    if (s === undefined) return null; // gone since discovery: the usual path reports it
    files.push({ path: p, facts: { size: s.size, mtimeMs: s.mtimeMs } });
  }
  if (!nothingNew(job.k.mode, files, states, Date.now())) return null;
  const summary = emptySummary();
  summary.files = summary.unchangedFiles = files.length;
  return summary;
}

/**
 * Finds every agent's logs it knows (AGENT_LOG_KINDS) in their default folders and imports them into `store`,
 * saying what it found and did not find. Returns the summed summary, or null when no log was found. Used by `npm start`, which
 * has the ledger open anyway (`import auto` goes through importJobs, which may not need to open it).
 */
export async function importLocalAgentLogs(
  store: Store,
  out: (s: string) => void,
  o: ImportOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
  logs?: LocalAgentLogs,
): Promise<ImportSummary | null> {
  const total = emptySummary();
  let found = false;
  for (const j of logs ?? (await localAgentLogs(env, home))) {
    out(j.said);
    if (j.files === null) continue;
    found = true;
    if (!(await telemetryTakesIt(store, j, out))) addSummary(total, await importKind(store, j, o, out));
  }
  return found ? total : null;
}

/**
 * The files of `logs` an import would read now, and how: none when nothing is new. Files that cannot be opened are
 * among them (an import would say so). With the import states it was judged from, by source id.
 */
export async function unreadAgentLogs(
  store: Store,
  logs: LocalAgentLogs,
): Promise<{ reads: UnreadLog[]; states: Map<string, ReadonlyMap<string, FileState>> }> {
  const reads: UnreadLog[] = [];
  const byKind = new Map<string, ReadonlyMap<string, FileState>>();
  for (const j of logs) {
    if (j.files === null) continue;
    const states = (await store.records?.fileStates(j.k.id)) ?? new Map<string, FileState>();
    byKind.set(j.k.id, states);
    const planned = planImport(j.files, states, j.k.mode, Date.now());
    for (const r of planned.reads) {
      const resumed = r.plan.read && states.get(r.path)?.offset === r.plan.offset;
      reads.push({
        kind: j.kind,
        path: r.path,
        resumed,
        bytes: r.facts.size - (resumed ? r.plan.offset : 0),
      });
    }
    for (const u of planned.unreadable) reads.push({ kind: j.kind, path: u.path, resumed: false, bytes: 0 });
  }
  return { reads, states: byKind };
}

/** A file an import would read: `resumed` from where the last import of it stopped, `bytes` on from there. */
export interface UnreadLog {
  kind: string;
  path: string;
  resumed: boolean;
  bytes: number;
}

/** Whether the ledger takes `kind`'s calls from its telemetry, so that its logs are not read (below). */
export async function takesTelemetry(store: Store, kind: string): Promise<boolean> {
  const r = await store.query({
    dimensions: [],
    filters: [
      { dimension: 'source', values: ['otlp'] },
      { dimension: 'agent', values: [kind] },
    ],
  });
  return r.totals.events > 0;
}

/**
 * Whether logs found in an agent's default folders stay out because the ledger holds the agent's calls from
 * OpenTelemetry (and says so). Telemetry and local logs describe the same calls under ids that cannot match (the
 * logs' come from message and request ids, telemetry's from the request id alone, and the timestamps need not
 * agree), so `npm start` and `import auto` take the logs only where no telemetry comes in. Logs named by the user
 * (`import claude-code DIR`, or the kind alone) are imported regardless.
 */
async function telemetryTakesIt(store: Store, j: Job, out: (s: string) => void): Promise<boolean> {
  if (!j.found || !(await takesTelemetry(store, j.kind))) return false;
  out(
    `  not imported: this ledger receives ${j.kind}'s telemetry (OTLP), which records the same calls under other ` +
      `ids; \`tokenledger import ${j.kind}\` imports the logs anyway, and then counts those calls twice\n`,
  );
  return true;
}

/** How a kind's files are read: stamped and attributed the same whether they are read early or not. */
interface KindRead {
  ctx: { ingestedAt: number; defaults: { user: string | null; team: string | null; project: string | null } };
  options: FileImportOptions;
}

function kindRead(j: Job, o: ImportOptions): KindRead {
  // Local agent logs are this machine's user's own: without --user they are attributed to the OS user.
  const user = o.user ?? (j.k.discover ? osUser() : null);
  return {
    ctx: { ingestedAt: nowMicros(), defaults: { user, team: o.team ?? null, project: o.project ?? null } },
    options: {
      mode: j.k.mode,
      ignoreState: o.full === true,
      parserJudgesEncoding: j.k.parserJudgesEncoding,
      skipUnless: j.k.skipUnless,
      worker: j.k.worker,
      readers: j.k.worker ? undefined : { kind: j.k.id },
    },
  };
}

/** The pricer, loaded on the first call only (the catalog's modules are ~0.15 s of a small import). */
function pricerOnce(o: ImportOptions): () => Promise<Pricer> {
  let loading: Promise<Pricer> | undefined;
  return () => {
    loading ??= import('./pricer.js').then((m) => m.loadCliPricer(o));
    return loading;
  };
}

async function importKind(
  store: Store,
  j: Job,
  o: ImportOptions,
  out: (s: string) => void,
  read: KindRead = kindRead(j, o),
  loadPricer: () => Promise<Pricer> = pricerOnce(o),
): Promise<ImportSummary> {
  const started = performance.now();
  // Loaded only when some file needs reading: a re-import with nothing new never pays for the catalog.
  let pricer: Pricer | null = null;
  const bar = progress(`import ${j.kind}`, 'bytes');
  const summary = await importFiles(
    await j.k.load(),
    j.files!,
    {
      store,
      price: (e) => pricer!.price(e),
      beforeRead: async () => {
        pricer = await loadPricer();
      },
      workerPricing: { overridesPath: o.prices, cwd: process.cwd(), env: process.env },
      ...read.ctx,
      onProgress: (done, total) => bar.update(done, total),
    },
    read.options,
  ).finally(() => bar.stop());
  out(formatSummary(summary, (performance.now() - started) / 1000, true));
  if (anotherToolsLogs(j, summary))
    out(
      `  none of these ${counted(summary.lines, 'line')} is ${j.kind} usage: if they are another tool's logs, \`tokenledger import auto\` finds each agent's own\n`,
    );
  return summary;
}

/**
 * An agent's importer given another tool's logs finds files, reads every line and keeps none, with nothing wrong to
 * report: without a word, "imported 0 events" reads as if the logs held no spend. Only for folders the user named
 * (an agent's own folder may hold a session that made no call yet) and read whole (nothing held back or skipped over).
 */
function anotherToolsLogs(j: Job, s: ImportSummary): boolean {
  const wholeRead = s.unchangedFiles === 0 && s.resumedFiles === 0 && s.heldBackFiles === 0;
  return (
    j.named === true &&
    j.k.discover !== undefined &&
    wholeRead &&
    s.lines > 0 &&
    s.events === 0 &&
    s.skipped === 0
  );
}

function describeDiscovery(kind: string, d: Discovery): string {
  const where = d.roots.filter((r) => !d.missing.includes(r));
  const found =
    d.files.length > 0
      ? `${kind}: ${d.files.length} log file${d.files.length === 1 ? '' : 's'} in ${where.join(', ')}`
      : `${kind}: no logs found${where.length ? ` in ${where.join(', ')}` : ''}`;
  const missing = d.missing.length ? ` (not found: ${d.missing.join(', ')})` : '';
  const its = d.unreadable.length === 1 ? 'its' : 'their';
  const unreadable = d.unreadable.length
    ? `\n  cannot read ${d.unreadable.join(', ')}: ${its} logs were not imported; check ${its} permissions`
    : '';
  return `${found}${missing}${unreadable}\n`;
}
