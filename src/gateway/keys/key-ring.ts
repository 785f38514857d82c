import type { RecordSet } from '../../records/record-set.js';
import { hashKey, type VirtualKeyRecord } from './virtual-key.js';

/**
 * The server's view of the virtual keys: looked up by hash, reloaded when the set changes (checked at most once a
 * second), so `tokenledger keys create|revoke` take effect without a restart, on every instance of a ClickHouse
 * ledger.
 */
export class KeyRing {
  private byHash = new Map<string, VirtualKeyRecord>();
  /** The set as last read (RecordSet.signature; for a file not its mtime alone, which two quick writes can share). */
  private signature: string | null = null;
  private checkedAt = 0;
  private checking: Promise<void> | null = null;

  constructor(readonly keys: RecordSet<VirtualKeyRecord>) {}

  async load(): Promise<void> {
    const signature = await this.keys.signature();
    if (signature === this.signature) return;
    const keys = await this.keys.list();
    this.byHash = new Map(keys.filter((k) => k.revoked_at === null).map((k) => [k.hash, k]));
    this.signature = signature;
  }

  /** The active record for a presented key, or null when unknown or revoked. */
  async lookup(key: string, now = Date.now()): Promise<VirtualKeyRecord | null> {
    if (now - this.checkedAt > 1000) {
      this.checkedAt = now;
      this.checking ??= this.load().finally(() => {
        this.checking = null;
      });
      await this.checking;
    }
    return this.byHash.get(hashKey(key)) ?? null;
  }

  /** The active keys (budgets rebuild each key's `budget_usd` counter from the ledger at start-up). */
  records(): VirtualKeyRecord[] {
    return [...this.byHash.values()];
  }

  get size(): number {
    return this.byHash.size;
  }
}
