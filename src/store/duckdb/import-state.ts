import type { FileState } from '../import-records.js';
import type { DuckDbSession } from './session.js';
import { stageInsert } from './stage-insert.js';

/** Per-file import state of one source, by path. */
export async function readStates(s: DuckDbSession, source: string): Promise<Map<string, FileState>> {
  const rows = await s.rows(
    'reading import state',
    `SELECT path, size, mtime_ms, resume_offset, resume_line, check_hash, held_back, epoch_us(imported_at),
       parser_state
     FROM import_files WHERE source = ?`,
    [source],
  );
  return new Map(
    rows.map((r) => [
      String(r[0]),
      {
        source,
        path: String(r[0]),
        size: Number(r[1]),
        mtimeMs: Number(r[2]),
        offset: Number(r[3]),
        lineNo: Number(r[4]),
        check: r[5] === null ? null : String(r[5]),
        heldBack: r[6] === true,
        importedAt: Number(r[7]),
        parserState: r[8] === null || r[8] === undefined ? null : String(r[8]),
      } satisfies FileState,
    ]),
  );
}

/** Inserts or replaces by (source, path). */
export async function saveStates(s: DuckDbSession, states: readonly FileState[]): Promise<void> {
  await stageInsert(
    s,
    'saving import state',
    'import_files',
    ['text', 'text', 'bigint', 'double', 'bigint', 'bigint', 'text', 'bool', 'timestamp', 'text'],
    states.map((f) => [
      f.source,
      f.path,
      f.size,
      f.mtimeMs,
      f.offset,
      f.lineNo,
      f.check,
      f.heldBack,
      f.importedAt,
      f.parserState,
    ]),
    'REPLACE',
  );
}
