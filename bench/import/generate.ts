/**
 * Builds the import benchmark's data: the Claude Code logs in ../shared/data/agent-logs/claude (read-only) copied
 * until they pass a size (default 300 MB), each copy under fresh ids so neither tool can merge copies: every UUID
 * (session ids, file and folder names, line uuids) has its last group mixed with the copy number, and every
 * `msg_…`/`req_…` id gets a copy suffix. Copies go to their own project folders.
 *
 *   node --import tsx bench/import/generate.ts [outDir] [megabytes]
 */
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
export const SOURCE_LOGS = resolve(REPO, '../shared/data/agent-logs/claude');

const UUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)([0-9a-f]{12})/g;
const IDS = /"((?:msg|req)_[A-Za-z0-9]+)"/g;

function freshIds(text: string, copy: number): string {
  const mix = BigInt(copy) * 0x9e3779b97f4an;
  return text
    .replace(UUID, (_, head: string, last: string) => {
      const v = (BigInt(`0x${last}`) ^ mix) & 0xffffffffffffn;
      return head + v.toString(16).padStart(12, '0');
    })
    .replace(IDS, (_, id: string) => `"${id}c${copy.toString(36)}"`);
}

/** The .jsonl files under a folder, at any depth. */
export function jsonlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsonlFiles(join(dir, e.name)) : e.name.endsWith('.jsonl') ? [join(dir, e.name)] : [],
  );
}

/** Writes copies under `out/projects/` until the total passes `bytes`; returns the total size and file count. */
export function generate(out: string, bytes: number): { bytes: number; files: number; copies: number } {
  const originals = jsonlFiles(join(SOURCE_LOGS, 'projects')).map((p) => {
    const text = readFileSync(p, 'utf8');
    return { rel: relative(join(SOURCE_LOGS, 'projects'), p), text, mtime: lastWritten(p, text) };
  });
  let total = 0;
  let count = 0;
  let copy = 0;
  while (total <= bytes) {
    copy++;
    for (const f of originals) {
      const [project, ...rest] = f.rel.split('/');
      const path = join(out, 'projects', `${project}-copy${copy}`, freshIds(rest.join('/'), copy));
      mkdirSync(dirname(path), { recursive: true });
      const text = freshIds(f.text, copy);
      writeFileSync(path, text);
      // Each log last written at its last line's time, as Claude Code left it: sessions that ended long ago, so no
      // tool treats them as still being written. (The copies in ../shared/data carry the time they were copied.)
      utimesSync(path, f.mtime, f.mtime);
      total += Buffer.byteLength(text);
      count++;
    }
  }
  return { bytes: total, files: count, copies: copy };
}

/** When a log was last written: its last line's `timestamp`, else the file's own time. */
function lastWritten(path: string, text: string): Date {
  const at = text.lastIndexOf(TIMESTAMP);
  const t =
    at < 0
      ? Number.NaN
      : Date.parse(text.slice(at + TIMESTAMP.length, text.indexOf('"', at + TIMESTAMP.length)));
  return Number.isNaN(t) ? statSync(path).mtime : new Date(t);
}
const TIMESTAMP = '"timestamp":"';

/** Total size of the .jsonl files under a folder (0 when absent). */
export function sizeOf(dir: string): number {
  try {
    return jsonlFiles(dir).reduce((a, p) => a + statSync(p).size, 0);
  } catch {
    return 0;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = resolve(process.argv[2] ?? join(REPO, 'bench/.work/import/claude'));
  const mb = Number(process.argv[3] ?? 300);
  const r = generate(out, mb * 1e6);
  console.log(`${out}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB (${r.copies} copies)`);
}
