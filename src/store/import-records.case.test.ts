/**
 * What every store with import records (store.records) keeps: the suite store/duckdb/duckdb-store.test.ts and
 * store/clickhouse/clickhouse-store.test.ts run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityRecord, ProviderCostRecord } from '../sources/provider-records.js';
import type { FileState } from './import-records.js';
import type { Store } from './store.js';
import { DAY, makeEvent, T0 } from './testing/event-factory.js';

const cost = (id: string, o: Partial<ProviderCostRecord> = {}): ProviderCostRecord => ({
  record_id: id,
  source: 'openai-usage',
  source_ref: 'costs.json:3',
  bucket_start: T0,
  bucket_end: T0 + DAY,
  provider: 'openai',
  project: 'proj_a',
  model: null,
  line_item: 'gpt-4o, input',
  // Past 2^64 pico-dollars (~$18.4M): must survive as HUGEINT, never through a float.
  amount: 123_456_789_012_345_678_901_234n,
  currency: 'USD',
  details: { tier: 'default' },
  ...o,
});
const activity = (id: string): ActivityRecord => ({
  record_id: id,
  source: 'anthropic-claude-code',
  source_ref: 'cc.json:1',
  actor_type: 'user_actor',
  actor: 'ana@example.com',
  date: '2026-01-05',
  ts: T0,
  num_sessions: 3,
  lines_added: 120,
  lines_removed: 7,
  commits: 2,
  pull_requests: 1,
  tool_actions: { 'edit_tool.accepted': 4 },
  details: { terminal_type: 'vscode' },
});

export function runImportRecordsSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`Import records: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps provider costs once per record id, exactly', async () => {
      const r = store.records!;
      expect(
        await r.appendCosts([cost('a'), cost('b', { project: null, amount: -5n }), cost('a')], 1),
      ).toEqual({
        inserted: 2,
        duplicates: 1,
      });
      expect(await r.appendCosts([cost('a'), cost('c', { bucket_start: T0 + DAY })], 2)).toEqual({
        inserted: 1,
        duplicates: 1,
      });
      const all = await r.providerCosts();
      expect(all.map((c) => c.record_id)).toEqual(['b', 'a', 'c']);
      expect(all[1]).toEqual(cost('a'));
      expect((await r.providerCosts({ since: T0 + DAY })).map((c) => c.record_id)).toEqual(['c']);
      expect(await r.providerCosts({ provider: 'anthropic' })).toEqual([]);
    });

    it('keeps activity once per record id', async () => {
      const r = store.records!;
      expect(await r.appendActivity([activity('x'), activity('x')], 1)).toEqual({
        inserted: 1,
        duplicates: 1,
      });
      expect(await r.activity()).toEqual([activity('x')]);
    });

    it('saves and replaces per-file import state', async () => {
      const r = store.records!;
      const s: FileState = {
        source: 'claude-code',
        path: '/l/a.jsonl',
        size: 10,
        mtimeMs: 1_767_571_200_123.456,
        offset: 5,
        lineNo: 2,
        check: 'ab',
        heldBack: true,
        importedAt: T0,
        parserState: '{"model":"gpt-5"}',
      };
      await r.saveFileStates([
        s,
        { ...s, path: '/l/b.jsonl', check: null, heldBack: false, parserState: null },
      ]);
      await r.saveFileStates([{ ...s, size: 20, offset: 15, lineNo: 4 }]);
      const got = await r.fileStates('claude-code');
      expect([...got.keys()].sort()).toEqual(['/l/a.jsonl', '/l/b.jsonl']);
      expect(got.get('/l/a.jsonl')).toEqual({ ...s, size: 20, offset: 15, lineNo: 4 });
      expect(got.get('/l/b.jsonl')).toMatchObject({ check: null, heldBack: false, parserState: null });
      expect((await r.fileStates('codex')).size).toBe(0);
    });

    it('sums computed cost by day, source, provider, project and model, with provider-reported costs apart', async () => {
      const a = makeEvent(1, { ts: T0 + 1, provider_cost_usd: 7n });
      const b = makeEvent(2, {
        ts: T0 + 2,
        model: a.model,
        project: a.project,
        provider: a.provider,
        source: a.source,
      });
      await store.append([a, b]);
      const rows = await store.records!.computedCosts();
      const row = rows.find((x) => x.model === a.model && x.project === a.project && x.source === a.source)!;
      expect(row).toMatchObject({
        day: '2026-01-05',
        events: 2,
        cost_usd: (a.cost_usd ?? 0n) + (b.cost_usd ?? 0n),
        provider_cost_events: 1,
        provider_cost_usd: 7n,
        cost_usd_of_provider_cost_events: a.cost_usd ?? 0n,
      });
    });
  });
}
