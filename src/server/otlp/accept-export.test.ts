import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../ledger/event.js';
import { decodeRecords } from '../../ledger/wal/codec.js';
import { DEFAULT_ATTRIBUTES } from '../../sources/otlp/attribution.js';
import { type ExportAcceptor, exportAcceptor } from './accept-export.js';
import { createOtlpMapper, type OtlpMapper } from './otlp-mapper.js';

const T0 = 1_767_000_000_000_000_000n;
const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** An OTLP/JSON export of one cumulative input-token counter point: `total` tokens since T0, at `minutes`. */
function cumulative(minutes: number, total: number): Buffer {
  const point = {
    attributes: [kv('gen_ai.request.model', 'gpt-4o-mini'), kv('gen_ai.provider.name', 'openai')],
    startTimeUnixNano: String(T0),
    timeUnixNano: String(T0 + BigInt(minutes) * 60_000_000_000n),
    asInt: String(total),
  };
  const metric = {
    name: 'gen_ai.client.inference.usage.input_tokens',
    sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point] },
  };
  return Buffer.from(
    JSON.stringify({
      resourceMetrics: [
        { resource: { attributes: [kv('service.name', 'app')] }, scopeMetrics: [{ metrics: [metric] }] },
      ],
    }),
  );
}

let mapper: OtlpMapper;
afterEach(() => mapper?.close());

describe('an export answered 503 because the write-ahead log failed', () => {
  // The exporter sends the same export again, as OTLP asks; what it held must be recorded then, once.
  it('records its cumulative counters when the exporter sends it again', async () => {
    mapper = createOtlpMapper({
      pricing: { cwd: tmpdir(), env: {} },
      attributes: DEFAULT_ATTRIBUTES,
      since: 0,
      keep: false,
    });
    const logged: UsageEvent[] = [];
    let diskFull = false;
    const acceptor: ExportAcceptor = exportAcceptor({
      mapper,
      limitBytes: 1 << 20,
      appendEncoded: async (records) => {
        if (diskFull) throw new Error('ENOSPC: no space left on device');
        logged.push(...decodeRecords(records));
      },
    });
    const send = (body: Buffer) => acceptor.accept('metrics', body, { json: true, coding: null });
    await send(cumulative(1, 1000));
    diskFull = true;
    await expect(send(cumulative(2, 1500))).rejects.toThrow(/OTLP_UNAVAILABLE|could not record/);
    diskFull = false;
    expect((await send(cumulative(2, 1500))).events).toBe(1);
    await send(cumulative(3, 1800));
    expect(logged.map((e) => e.input_tokens)).toEqual([1000, 500, 300]);
    // A retry of an export that was logged gives the same event again, which the ledger holds once.
    await send(cumulative(3, 1800));
    expect(logged.slice(-2).map((e) => [e.event_id, e.input_tokens])).toEqual([
      [logged[2]!.event_id, 300],
      [logged[2]!.event_id, 300],
    ]);
  });
});
