import { fileSignature, readSecretFile, type SecretFileErrors, writeSecretFile } from '../secret-file.js';

/** A record of a set: found by its id, listed oldest first. */
export interface SetRecord {
  id: string;
  created_at: string;
}

/** What a set is called where it is kept, and the error for a record that is not one of its kind. */
export interface RecordKind {
  /** The file's field and the database's `kind`: `keys`, `tokens`, `budgets`. */
  name: string;
  corrupt: SecretFileErrors['corrupt'];
}

/** A kind that is also kept as a file: with the error for a file that cannot be read. */
export type FileRecordKind = RecordKind & SecretFileErrors;

/**
 * A ledger's small sets that people change one record at a time while servers read them: virtual keys, API tokens,
 * budgets. Beside a DuckDB ledger they are files (`fileRecordSet`); in a ClickHouse ledger they are rows of its
 * database (store/clickhouse/clickhouse-record-set.ts), so every instance on that database sees one set.
 */
export interface RecordSet<T extends SetRecord> {
  /** Where the set is kept, for messages: a file's path or a database's table. */
  readonly where: string;
  /** Every record, oldest first. */
  list(): Promise<T[]>;
  /** Adds `record`, or replaces the one with its id. */
  put(record: T): Promise<void>;
  /** Takes out the record with this id; none is not an error. */
  remove(id: string): Promise<void>;
  /** Changes whenever the set does, and costs less than `list`: what a server checks each second. */
  signature(): Promise<string>;
}

/**
 * A set as a file beside the ledger (secret-file.ts). A change reads the file and renames a new one into place:
 * two changes at once from two processes can lose one (the server serialises its own; people run one command at a
 * time), which a ClickHouse set, a row per record, cannot.
 */
export function fileRecordSet<T extends SetRecord>(path: string, kind: FileRecordKind): RecordSet<T> {
  const list = () => readSecretFile<T>(path, kind.name, kind);
  const write = (records: readonly T[]) => writeSecretFile(path, kind.name, records);
  return {
    where: path,
    list,
    async put(record) {
      const records = await list();
      const at = records.findIndex((r) => r.id === record.id);
      await write(at < 0 ? [...records, record] : records.with(at, record));
    },
    async remove(id) {
      const records = await list();
      if (records.some((r) => r.id === id)) await write(records.filter((r) => r.id !== id));
    },
    signature: () => fileSignature(path),
  };
}
