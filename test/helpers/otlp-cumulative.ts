/**
 * An OTLP/JSON metrics export of one app's cumulative `gen_ai.client.token.usage` input series (service `meter`,
 * model gpt-4o-mini), begun at `startMs`: its point `n` seconds in, at `value` tokens, as an SDK's periodic reader
 * sends it.
 */
export function cumulativeInputExport(startMs: number, n: number, value: number): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'meter' } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'gen_ai.client.token.usage',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [
                        { key: 'gen_ai.token.type', value: { stringValue: 'input' } },
                        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                      ],
                      startTimeUnixNano: `${BigInt(startMs) * 1_000_000n}`,
                      timeUnixNano: `${BigInt(startMs + n * 1000) * 1_000_000n}`,
                      asInt: String(value),
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}
