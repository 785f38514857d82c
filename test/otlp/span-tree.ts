import { expect } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import type { Harness } from './harness.js';

/** Span trees written as OTLP/JSON, as the instrumentation-library tests send them. */

const T0 = 1_767_000_000_000_000_000n;
export type Attr = { key: string; value: { stringValue: string } | { intValue: string } };
export const kv = (key: string, v: string | number): Attr =>
  typeof v === 'string' ? { key, value: { stringValue: v } } : { key, value: { intValue: String(v) } };

let traceSeq = 0;
/** Spans of one new trace: [id, parent id or null, name, attributes]. */
export function trace(spans: [number, number | null, string, Attr[]][]) {
  const traceId = (++traceSeq).toString(16).padStart(32, 'a');
  return spans.map(([id, parent, name, attributes]) => ({
    traceId,
    spanId: spanId(id),
    ...(parent === null ? {} : { parentSpanId: spanId(parent) }),
    name,
    startTimeUnixNano: String(T0 + BigInt(id) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(id) * 1_000_000n + 500_000_000n),
    attributes,
  }));
}

export const spanId = (id: number) => id.toString(16).padStart(16, '0');

/** Posts one export request of `service`'s spans as OTLP/JSON; its partialSuccess ({} when none). */
export async function sendSpans(url: string, service: string, spans: unknown[]) {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [{ resource: { attributes: [kv('service.name', service)] }, scopeSpans: [{ spans }] }],
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { partialSuccess?: { rejectedSpans?: number; errorMessage?: string } };
  return body.partialSuccess ?? {};
}

/** The events of `service`'s spans in the harness's ledger, oldest first. */
export async function eventsOf(h: Harness, service: string): Promise<UsageEvent[]> {
  return (await h.ledger()).filter((e) => e.tags.service === service).sort((a, b) => a.ts - b.ts);
}
