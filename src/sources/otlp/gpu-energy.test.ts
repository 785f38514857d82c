import { describe, expect, it } from 'vitest';
import type { GpuPool } from './gpu-energy.js';
import { createOtlpIngest } from './ingest.js';
import type { ExportMetricsRequest } from './otlp-types.js';

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
const CUMULATIVE = 2;
const DELTA = 1;
const START = 1_764_000_000_000_000_000n;
const MINUTE = 60_000_000_000n;

const POOLS: GpuPool[] = [
  { match: { 'host.name': 'gpu-node-1' }, model: 'llama-3.1-70b', provider: 'vllm' },
  { match: { 'host.name': 'gpu-node-2', UUID: 'GPU-b' }, model: 'qwen3-32b', provider: null },
];

interface Point {
  attrs?: Record<string, string>;
  value: number;
  at: bigint;
  start?: bigint;
}

/** One export from `host` of counter `name` (unit `unit`), its points as given. */
function energyExport(o: {
  host: string;
  name?: string;
  unit?: string;
  temporality?: number;
  points: Point[];
}): ExportMetricsRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('host.name', o.host), kv('deployment.environment', 'prod')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: o.name ?? 'hw.energy',
                unit: o.unit ?? 'J',
                sum: {
                  aggregationTemporality: o.temporality ?? CUMULATIVE,
                  isMonotonic: true,
                  dataPoints: o.points.map((p) => ({
                    attributes: Object.entries(p.attrs ?? { 'hw.id': 'gpu0', 'hw.type': 'gpu' }).map(
                      ([k, v]) => kv(k, v),
                    ),
                    startTimeUnixNano: String(p.start ?? START),
                    timeUnixNano: String(p.at),
                    asDouble: p.value,
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  } as unknown as ExportMetricsRequest;
}

describe('GPU energy counters', () => {
  it('become one event per pool and window: the joules its GPUs used, on its model, with no tokens or calls', () => {
    const ingest = createOtlpIngest({ since: 0, gpus: POOLS });
    const two = (a: number, b: number, at: bigint) => [
      { attrs: { 'hw.id': 'gpu0', 'hw.type': 'gpu' }, value: a, at },
      { attrs: { 'hw.id': 'gpu1', 'hw.type': 'gpu' }, value: b, at },
    ];
    const first = ingest.metrics(
      energyExport({ host: 'gpu-node-1', points: two(1000, 2000, START + MINUTE) }),
      0,
    );
    const second = ingest.metrics(
      energyExport({ host: 'gpu-node-1', points: two(16_000.5, 20_000.25, START + 2n * MINUTE) }),
      0,
    );
    expect(first.rejected).toEqual([]);
    const events = [...first.events, ...second.events];
    expect(
      events.map((e) => [
        e.model,
        e.provider,
        e.operation,
        e.energy_j,
        e.energy_source,
        e.requests,
        e.environment,
      ]),
    ).toEqual([
      ['llama-3.1-70b', 'vllm', 'energy', 3000, 'measured', 0, 'prod'],
      // Each GPU's counter differenced from its own last point: 15,000.5 J and 18,000.25 J.
      ['llama-3.1-70b', 'vllm', 'energy', 33_000.75, 'measured', 0, 'prod'],
    ]);
    expect(events.every((e) => e.input_tokens + e.output_tokens + e.cache_read_tokens === 0)).toBe(true);
    expect(second.events[0]!.ts).toBe(Number((START + MINUTE) / 1000n));
    expect(second.events[0]!.duration_ms).toBe(60_000);
  });

  it('give the same event for the same export sent again, and count a restarted counter whole', () => {
    const ingest = createOtlpIngest({ since: 0, gpus: POOLS });
    const at = (m: bigint) => START + m * MINUTE;
    const a = ingest.metrics(energyExport({ host: 'gpu-node-1', points: [{ value: 500, at: at(1n) }] }), 0);
    const retried = ingest.metrics(
      energyExport({ host: 'gpu-node-1', points: [{ value: 500, at: at(1n) }] }),
      0,
    );
    expect(retried.events.map((e) => e.event_id)).toEqual(a.events.map((e) => e.event_id));
    // The driver reloaded: a new start time, a smaller total. All of it is new use, never negative.
    const reset = ingest.metrics(
      energyExport({ host: 'gpu-node-1', points: [{ value: 120, at: at(3n), start: at(2n) }] }),
      0,
    );
    expect(reset.events.map((e) => e.energy_j)).toEqual([120]);
  });

  it('read DCGM in millijoules and a delta counter as it comes, matching a pool on point and resource attributes', () => {
    const ingest = createOtlpIngest({ since: 0, gpus: POOLS });
    const m = ingest.metrics(
      energyExport({
        host: 'gpu-node-2',
        name: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
        unit: '',
        temporality: DELTA,
        points: [{ attrs: { UUID: 'GPU-b', gpu: '0' }, value: 2_500_000, at: START + MINUTE }],
      }),
      0,
    );
    expect(m.events.map((e) => [e.model, e.provider, e.energy_j])).toEqual([['qwen3-32b', null, 2500]]);
  });

  it('ignore other components, and reject a GPU no pool names, saying which GPU', () => {
    const ingest = createOtlpIngest({ since: 0, gpus: POOLS });
    const cpu = ingest.metrics(
      energyExport({
        host: 'gpu-node-1',
        points: [{ attrs: { 'hw.id': 'cpu0', 'hw.type': 'cpu' }, value: 9, at: START + MINUTE }],
      }),
      0,
    );
    expect([cpu.events.length, cpu.rejected.length, cpu.ignored]).toEqual([0, 0, 1]);
    const unknown = ingest.metrics(
      energyExport({ host: 'gpu-node-9', points: [{ value: 9, at: START + MINUTE }] }),
      0,
    );
    expect(unknown.events).toEqual([]);
    expect(unknown.rejected).toEqual([
      {
        ref: 'resourceMetrics[0].scopeMetrics[0].metrics[0].dataPoints[0] hw.energy',
        code: 'OTLP_BAD_DATA_POINT',
        reason: expect.stringContaining(
          'no otlp.gpus entry matches this GPU (host.name=gpu-node-9, hw.id=gpu0)',
        ),
      },
    ]);
  });

  it('reject a unit that is not one of energy, and a gauge', () => {
    const ingest = createOtlpIngest({ since: 0, gpus: POOLS });
    const m = ingest.metrics(
      energyExport({ host: 'gpu-node-1', unit: 'W', points: [{ value: 9, at: START + MINUTE }] }),
      0,
    );
    expect(m.rejected.map((r) => r.reason)).toEqual(['unit "W", expected J']);
    const asGauge = energyExport({ host: 'gpu-node-1', points: [{ value: 9, at: START + MINUTE }] });
    const metric = asGauge.resourceMetrics![0]!.scopeMetrics![0]!.metrics![0]! as Record<string, unknown>;
    metric.gauge = { dataPoints: (metric.sum as { dataPoints: unknown }).dataPoints };
    delete metric.sum;
    expect(ingest.metrics(asGauge, 0).rejected.map((r) => r.reason)).toEqual([
      'a gauge, expected a Sum: energy is read from a counter',
    ]);
  });
});
