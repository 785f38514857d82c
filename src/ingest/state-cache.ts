/**
 * A copy of the ledger's per-file import state, kept beside it (`<ledger>.import-state.json`), so that a re-import
 * with nothing new can say so without loading DuckDB (~0.2 s of the ~0.4 s such a run took, the rest being Node and
 * our modules). The ledger stays the source of truth: the copy is used only while the ledger's files are exactly as
 * they were when it was written (size and modification time of the database and of its WAL), and a copy that is
 * stale the other way — older states than the ledger's — can only make a file look changed, which sends the import
 * down the normal path. Never a reason to skip a file that has something new.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { FileState } from '../store/import-records.js';
import { type FileFacts, planFile, type ResumeMode } from './file-plan.js';

const VERSION = 1;

/** What identifies one exact content of the ledger: its database file and DuckDB's WAL beside it. */
interface LedgerStamp {
  size: number;
  mtimeMs: number;
  walSize: number;
  walMtimeMs: number;
}

interface CacheFile {
  version: number;
  ledger: LedgerStamp;
  /** Source id → the states of its files. */
  sources: Record<string, FileState[]>;
}

export type CachedStates = Record<string, FileState[]>;

export function stateCachePath(ledgerPath: string): string {
  return `${ledgerPath}.import-state.json`;
}

function stamp(ledgerPath: string): LedgerStamp | null {
  const db = statSync(ledgerPath, { throwIfNoEntry: false });
  if (db === undefined) return null;
  const wal = statSync(`${ledgerPath}.wal`, { throwIfNoEntry: false });
  return { size: db.size, mtimeMs: db.mtimeMs, walSize: wal?.size ?? -1, walMtimeMs: wal?.mtimeMs ?? -1 };
}

function sameStamp(a: LedgerStamp, b: LedgerStamp): boolean {
  return (
    a.size === b.size && a.mtimeMs === b.mtimeMs && a.walSize === b.walSize && a.walMtimeMs === b.walMtimeMs
  );
}

/** The cached states, or null when there is no copy, it cannot be read, or the ledger changed since it was written. */
export function readStateCache(ledgerPath: string): CachedStates | null {
  const now = stamp(ledgerPath);
  if (now === null) return null;
  let c: CacheFile;
  try {
    c = JSON.parse(readFileSync(stateCachePath(ledgerPath), 'utf8')) as CacheFile;
  } catch {
    return null; // absent or torn: the ledger answers
  }
  return c?.version === VERSION && c.ledger && sameStamp(c.ledger, now) && c.sources ? c.sources : null;
}

/**
 * Writes the copy for the ledger as it is now (call after the store is closed, so the stamp is final). Written to a
 * temporary file and renamed, so a reader never sees half of it.
 */
export function writeStateCache(ledgerPath: string, sources: CachedStates): void {
  const now = stamp(ledgerPath);
  if (now === null) return;
  const file: CacheFile = { version: VERSION, ledger: now, sources };
  const path = stateCachePath(ledgerPath);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file), { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * True when an import in `mode` would open none of `files` (file-plan.ts decides, as in importFiles): every file is
 * unchanged since its state, and none has a held-back tail that has since settled.
 */
export function nothingNew(
  mode: ResumeMode,
  files: readonly { path: string; facts: FileFacts }[],
  states: readonly FileState[],
  nowMs: number,
): boolean {
  const byPath = new Map(states.map((s) => [s.path, s]));
  return files.every((f) => !planFile(mode, f.facts, byPath.get(f.path), nowMs).read);
}
