import { afterEach, describe, expect, it } from 'vitest';
import { readIngestJournal } from '../../src/server/otlp/ingest-journal.js';
import { cumulativeInputExport } from '../helpers/otlp-cumulative.js';
import { type Harness, startHarness, tokens } from './harness.js';

// A cumulative counter's point whose export the write-ahead log refused (503) must not become the point the next
// one is measured from: OpenTelemetry exporters give up on an export after a few retries, and the next point they
// send then has to carry the dropped window's use too.
describe('a cumulative point whose export the log refused', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  const start = Date.now();
  const point = (n: number, value: number) => cumulativeInputExport(start, n, value);
  const send = async (n: number, value: number) =>
    (
      await fetch(`${h!.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: point(n, value),
      })
    ).status;

  it('leaves the next point to count the whole use when the sender drops it', async () => {
    let full = false;
    h = await startHarness({ refuseAppends: () => full });
    expect(await send(1, 100)).toBe(200);
    full = true;
    expect(await send(2, 250)).toBe(503);
    full = false;
    // The exporter gave up on point 2; point 3 covers its window and its own.
    expect(await send(3, 400)).toBe(200);
    expect(tokens(await h.ledger()).input).toBe(400);
  });

  it('leaves a first point that was refused to be counted whole by the next', async () => {
    let full = true;
    h = await startHarness({ refuseAppends: () => full });
    expect(await send(1, 100)).toBe(503);
    full = false;
    expect(await send(2, 250)).toBe(200);
    expect(tokens(await h.ledger()).input).toBe(250);
  });

  it('counts a refused point once when the sender sends it again', async () => {
    let full = false;
    h = await startHarness({ refuseAppends: () => full });
    expect(await send(1, 100)).toBe(200);
    full = true;
    expect(await send(2, 250)).toBe(503);
    full = false;
    expect(await send(2, 250)).toBe(200);
    expect(await send(2, 250)).toBe(200);
    expect(await send(3, 400)).toBe(200);
    expect(tokens(await h.ledger()).input).toBe(400);
  });

  it('is not in the state file a restart reads', async () => {
    let full = false;
    h = await startHarness({ refuseAppends: () => full });
    expect(await send(1, 100)).toBe(200);
    full = true;
    expect(await send(2, 250)).toBe(503);
    // What a restart would go on from: point 1, the last one the ledger recorded a window up to.
    await expect
      .poll(() => readIngestJournal(h!.statePath).remembered.series.map(([, p]) => p.value))
      .toEqual([100]);
  });
});

// The rule that keeps a call from counting twice drops an agent's counters once its per-request events were seen
// (dedupe.ts). An export of those events that the log refused was not recorded: if its sender drops it, the counters
// are all that is left of those calls, and must count.
describe('per-request events whose export the log refused', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  const SONNET = 'claude-sonnet-4-20250514';
  const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
  const now = BigInt(Date.now()) * 1_000_000n;
  const apiRequest = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [kv('service.name', 'claude-code')] },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: String(now),
                body: { stringValue: 'claude_code.api_request' },
                attributes: [
                  kv('event.name', 'api_request'),
                  kv('session.id', 'sess-refused'),
                  kv('request_id', 'req_1'),
                  kv('model', SONNET),
                  kv('input_tokens', '100'),
                  kv('output_tokens', '20'),
                ],
              },
            ],
          },
        ],
      },
    ],
  });
  // The same call in Claude Code's delta token counter, a minute later.
  const counters = JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'claude-code')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'claude_code.token.usage',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [
                        kv('model', SONNET),
                        kv('session.id', 'sess-refused'),
                        kv('type', 'input'),
                      ],
                      startTimeUnixNano: String(now),
                      timeUnixNano: String(now + 60_000_000_000n),
                      asInt: '100',
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
  const post = async (path: string, body: string) =>
    (
      await fetch(`${h!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    ).status;

  it('counts the counters of an agent whose events were refused and then dropped', async () => {
    let full = true;
    h = await startHarness({ refuseAppends: () => full });
    expect(await post('/v1/logs', apiRequest)).toBe(503);
    full = false;
    expect(await post('/v1/metrics', counters)).toBe(200);
    expect(tokens(await h.ledger()).input).toBe(100);
    // Nor does a restart read the refused events' key from the state file.
    expect(readIngestJournal(h.statePath).remembered.perRequest).toEqual([]);
  });

  it('still drops the counters once the refused events were sent again and recorded', async () => {
    let full = true;
    h = await startHarness({ refuseAppends: () => full });
    expect(await post('/v1/logs', apiRequest)).toBe(503);
    full = false;
    expect(await post('/v1/logs', apiRequest)).toBe(200);
    expect(await post('/v1/metrics', counters)).toBe(200);
    expect(tokens(await h.ledger())).toMatchObject({ requests: 1, input: 100, output: 20 });
    await expect.poll(() => readIngestJournal(h!.statePath).remembered.perRequest.length).toBe(2);
  });
  it('counts the counters of an agent whose events the receiver rejected', async () => {
    // A start time past 2255 (beyond 2^53 µs) is rejected before the answer, as the store could not hold it: the
    // sender is told, and nothing of that record is in the ledger, so the counters are the only count of the call.
    const beyond = apiRequest.replace(`"timeUnixNano":"${now}"`, '"timeUnixNano":"9100000000000000000"');
    h = await startHarness();
    const res = await fetch(`${h.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: beyond,
    });
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { partialSuccess?: { rejectedLogRecords?: number } }).partialSuccess,
    ).toMatchObject({ rejectedLogRecords: 1 });
    expect(await post('/v1/metrics', counters)).toBe(200);
    expect(tokens(await h.ledger()).input).toBe(100);
    expect(readIngestJournal(h.statePath).remembered.perRequest).toEqual([]);
  });
});
