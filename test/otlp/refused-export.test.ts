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
