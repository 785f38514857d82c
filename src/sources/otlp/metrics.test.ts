import { describe, expect, it } from 'vitest';
import { createOtlpIngest } from './ingest.js';
import type { ExportMetricsRequest } from './otlp-types.js';

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
const MODEL = [kv('gen_ai.request.model', 'gpt-4o-mini'), kv('gen_ai.provider.name', 'openai')];
const DELTA = 1; // AGGREGATION_TEMPORALITY_DELTA

/** One export: an input histogram and a cache-read counter of the same calls, stamped `skewNs` apart. */
function exportWith(skewNs: number): ExportMetricsRequest {
  const start = 1_764_000_000_000_000_000n;
  const end = start + 60_000_000_000n;
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'app')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'gen_ai.client.token.usage',
                histogram: {
                  aggregationTemporality: DELTA,
                  dataPoints: [
                    {
                      attributes: [...MODEL, kv('gen_ai.token.type', 'input')],
                      startTimeUnixNano: String(start),
                      timeUnixNano: String(end),
                      count: '4',
                      sum: 1206,
                    },
                  ],
                },
              },
              {
                name: 'gen_ai.client.inference.usage.cache_read.input_tokens',
                sum: {
                  aggregationTemporality: DELTA,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: MODEL,
                      startTimeUnixNano: String(start + BigInt(skewNs)),
                      timeUnixNano: String(end + BigInt(skewNs)),
                      asInt: '400',
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  } as unknown as ExportMetricsRequest;
}

describe('GenAI metrics of one export', () => {
  it.each([0, 1_000, 2_000_000])(
    'take cached tokens out of input even when instruments are stamped %i ns apart',
    (skew) => {
      const ingest = createOtlpIngest({ since: 0 });
      const m = ingest.metrics(exportWith(skew), 0);
      expect(m.events).toHaveLength(1);
      expect(m.events.map((e) => [e.input_tokens, e.cache_read_tokens, e.requests])).toEqual([[806, 400, 4]]);
    },
  );
});
