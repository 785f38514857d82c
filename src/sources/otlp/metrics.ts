import { emptyUsage, type UnpricedEvent, type Usage } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { anthropicServiceTier } from '../../pricing/anthropic-tier.js';
import { attributionOf } from './attribution.js';
import { agentKey, type PerRequestRegistry, spanKey } from './dedupe.js';
import { EnergyWindows, isEnergyMetric } from './gpu-energy.js';
import { emptyMapped, type MapContext, type Mapped } from './mapped.js';
import type { ExportMetricsRequest, HistogramDataPoint, Metric, NumberDataPoint } from './otlp-types.js';
import type { Delta, TemporalityState } from './temporality.js';
import { providerId, usageOf } from './tokens.js';
import { type Attrs, attrs, int64, nanosToMicros, providerUsd, str, strOf } from './values.js';

type Kind = 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning' | 'cost';
type Family = 'genai' | 'claude-code';

interface Known {
  family: Family;
  /** The attribute naming the token kind, dropped from the group key; null when the metric name says it. */
  typeAttr: string | null;
  kind: (a: Attrs) => Kind | null;
}

const fixed = (k: Kind) => () => k;
const TYPES: Record<string, Kind> = {
  input: 'input',
  output: 'output',
  cacheRead: 'cacheRead',
  cacheCreation: 'cacheWrite',
  cache_read: 'cacheRead',
  cache_creation: 'cacheWrite',
  cache_write: 'cacheWrite',
  reasoning: 'reasoning',
};

const KNOWN: Record<string, Known> = {
  'gen_ai.client.token.usage': {
    family: 'genai',
    typeAttr: 'gen_ai.token.type',
    kind: (a) => TYPES[str(a, 'gen_ai.token.type') ?? ''] ?? null,
  },
  'gen_ai.client.inference.usage.input_tokens': { family: 'genai', typeAttr: null, kind: fixed('input') },
  'gen_ai.client.inference.usage.output_tokens': { family: 'genai', typeAttr: null, kind: fixed('output') },
  'gen_ai.client.inference.usage.cache_read.input_tokens': {
    family: 'genai',
    typeAttr: null,
    kind: fixed('cacheRead'),
  },
  'gen_ai.client.inference.usage.cache_write.input_tokens': {
    family: 'genai',
    typeAttr: null,
    kind: fixed('cacheWrite'),
  },
  'gen_ai.client.inference.usage.reasoning.output_tokens': {
    family: 'genai',
    typeAttr: null,
    kind: fixed('reasoning'),
  },
  'claude_code.token.usage': {
    family: 'claude-code',
    typeAttr: 'type',
    kind: (a) => TYPES[str(a, 'type') ?? ''] ?? null,
  },
  'claude_code.cost.usage': { family: 'claude-code', typeAttr: null, kind: fixed('cost') },
};

interface Group {
  family: Family;
  from: number;
  to: number;
  point: Attrs;
  resource: Attrs;
  key: string;
  sums: Record<Exclude<Kind, 'cost'>, number>;
  /** The reported cost in pico-dollars, exact; null once a point is not an amount money holds. */
  cost: bigint | null;
  /** Calls counted by the token histogram's input series; 0 when only counters were sent. */
  requests: number;
  superseded: boolean;
  /** The metrics and token kinds its points came from: part of the event id (groupEvent). */
  series: Set<string>;
  /** Where each of its points is in the request: each is a rejected data point if the event cannot be made. */
  refs: string[];
}

/**
 * GenAI and Claude Code token metrics → one aggregate event per (resource, attribute set, window), all token kinds
 * of the window together. Counters of a key that also sends per-request records are dropped (dedupe.ts); their
 * temporality state is still advanced, so the counters take over exactly where per-request records stop.
 */
export function mapMetrics(
  req: ExportMetricsRequest,
  ctx: MapContext,
  state: TemporalityState,
  perRequest: PerRequestRegistry,
): Mapped & { superseded: number } {
  const out = { ...emptyMapped(), superseded: 0 };
  const groups = new Map<string, Group>();
  const energy = new EnergyWindows(ctx.gpus ?? [], state, out);
  (req.resourceMetrics ?? []).forEach((rm, i) => {
    const resource = attrs(rm.resource?.attributes);
    const resKey = JSON.stringify([...resource].sort());
    (rm.scopeMetrics ?? []).forEach((sm, j) => {
      (sm.metrics ?? []).forEach((m, k) => {
        const ref = (n: number) =>
          `resourceMetrics[${i}].scopeMetrics[${j}].metrics[${k}].dataPoints[${n}] ${m.name}`;
        if (isEnergyMetric(m.name ?? '')) {
          energy.add(m, resource, resKey, ref);
          return;
        }
        const known = KNOWN[m.name ?? ''];
        if (known === undefined) {
          out.ignored++;
          return;
        }
        for (const [n, p] of points(m).entries()) {
          const a = attrs(p.point.attributes);
          const kind = known.kind(a);
          // Spring AI and LangChain4j also count `gen_ai.token.type` = total (their AiTokenType): input + output
          // again, so not usage of its own; it is skipped, not rejected, or every export would report it.
          if (kind === null && known.typeAttr !== null && a.get(known.typeAttr) === 'total') {
            out.ignored++;
            continue;
          }
          const time = nanosToMicros(p.point.timeUnixNano);
          if (kind === null || time === null || p.bad !== null) {
            out.rejected.push({
              ref: ref(n),
              code: 'OTLP_BAD_DATA_POINT',
              reason:
                time === null
                  ? 'data point without a valid timeUnixNano'
                  : kind === null
                    ? `unknown token type ${JSON.stringify(a.get(known.typeAttr ?? ''))}`
                    : p.bad!,
            });
            continue;
          }
          const seriesAttrs = JSON.stringify([...a].sort());
          const d = state.next(
            `${resKey}|${m.name}|${seriesAttrs}`,
            p.cumulative,
            nanosToMicros(p.point.startTimeUnixNano),
            time,
            p.value,
          );
          const calls =
            p.count !== null && kind === 'input'
              ? state.next(
                  `${resKey}|${m.name}#count|${seriesAttrs}`,
                  p.cumulative,
                  nanosToMicros(p.point.startTimeUnixNano),
                  time,
                  p.count,
                )
              : null;
          if (d === null && calls === null) continue;
          const groupAttrs = new Map(a);
          if (known.typeAttr !== null) groupAttrs.delete(known.typeAttr);
          const from = d?.from ?? calls!.from;
          const to = d?.to ?? calls!.to;
          // One export holds one window per series, but the instruments of one call (input histogram, cache-read
          // counter) can be stamped a tick apart: grouping on the exact window split them and left cached tokens
          // inside input. The group is the series set; its window spans its points.
          const gk = `${resKey}|${known.family}|${JSON.stringify([...groupAttrs].sort())}`;
          let g = groups.get(gk);
          if (g !== undefined) {
            g.from = Math.min(g.from, from);
            g.to = Math.max(g.to, to);
          } else {
            const dedupeKey =
              known.family === 'genai' ? spanKey(resource) : agentKey('claude-code', a, resource);
            g = {
              family: known.family,
              from,
              to,
              point: groupAttrs,
              resource,
              key: gk,
              sums: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
              cost: 0n,
              requests: 0,
              superseded: perRequest.has(dedupeKey),
              series: new Set(),
              refs: [],
            };
            groups.set(gk, g);
          }
          if (kind === 'cost') g.cost = addCost(g.cost, p.value, d);
          else g.sums[kind] += d?.value ?? 0;
          g.requests += calls?.value ?? 0;
          g.series.add(`${m.name}|${kind}`);
          g.refs.push(ref(n));
        }
      });
    });
  });
  for (const g of groups.values()) {
    if (g.superseded) {
      out.superseded++;
      continue;
    }
    const e = groupEvent(g, ctx);
    // Every point of the window is rejected with it: partial success counts data points, and names where they are.
    if (typeof e === 'string')
      for (const ref of g.refs) out.rejected.push({ ref, code: 'OTLP_BAD_DATA_POINT', reason: e });
    else {
      out.events.push(e);
      out.madeOf.set(e, g.refs);
    }
  }
  energy.finish(ctx);
  return out;
}

interface Point {
  point: NumberDataPoint & HistogramDataPoint;
  cumulative: boolean;
  value: number;
  count: number | null;
  /** Why the point's value is not a number (OTLP/JSON can send any string), or null. */
  bad: string | null;
}

/**
 * Null when `v`, read from `raw`, is a number; otherwise what is wrong, naming the field. A NaN is a number not
 * reported, not a wrong one (values.ts): the JS SDKs' NaN, null in OTLP/JSON or spelled "NaN"; it adds nothing.
 */
function notNumber(field: string, raw: unknown, v: number): string | null {
  if (Number.isFinite(v)) return null;
  if (Number.isNaN(v) && (typeof raw !== 'string' || raw.trim() === 'NaN')) return null;
  return `${field} is ${typeof raw === 'string' ? JSON.stringify(raw) : String(raw)}, expected a number`;
}

/**
 * OTLP's FLAG_NO_RECORDED_VALUE (DataPointFlags bit 0): a point that holds no value, as a staleness marker of the
 * Prometheus receiver. Its value fields are absent and read as 0, which a cumulative series took as a reset, and the
 * next point counted its whole total again: it is a value not reported (NaN) instead, as a point with neither asInt
 * nor asDouble is.
 */
const NO_RECORDED_VALUE = 1;
const noRecordedValue = (p: { flags?: number | null }) => (Number(p.flags ?? 0) & NO_RECORDED_VALUE) !== 0;

/**
 * Whether a Sum's or Histogram's points are cumulative, or what is wrong with its aggregationTemporality, naming the
 * field. UNSPECIFIED (0, what an absent field decodes to) "MUST NOT be used" (OTLP metrics.proto): taken as delta, a
 * cumulative sender that left it out would be counted whole on every export; as cumulative, a delta one's points
 * would be differenced. Neither is a guess worth money, so its points are rejected, and the sender told.
 */
function temporality(field: string, t: unknown): boolean | string {
  if (t === 2 || t === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return true;
  if (t === 1 || t === 'AGGREGATION_TEMPORALITY_DELTA') return false;
  const given =
    t === undefined || t === null || t === 0 || t === 'AGGREGATION_TEMPORALITY_UNSPECIFIED'
      ? 'unset (AGGREGATION_TEMPORALITY_UNSPECIFIED)'
      : JSON.stringify(t);
  return `${field}.aggregationTemporality is ${given}, expected 1 (delta) or 2 (cumulative): the points cannot be counted without it`;
}

function points(m: Metric): Point[] {
  if (m.sum) {
    const c = temporality('sum', m.sum.aggregationTemporality);
    return (m.sum.dataPoints ?? []).map((p) => {
      const double = Object.hasOwn(p, 'asDouble');
      const none = noRecordedValue(p) || (!double && !Object.hasOwn(p, 'asInt'));
      const value = none ? Number.NaN : double ? Number(p.asDouble) : int64(p.asInt);
      return {
        point: p,
        cumulative: c === true,
        value,
        count: null,
        bad:
          typeof c === 'string'
            ? c
            : none
              ? null
              : double
                ? notNumber('asDouble', p.asDouble, value)
                : notNumber('asInt', p.asInt, value),
      };
    });
  }
  const h = m.histogram ?? m.exponentialHistogram;
  if (h) {
    const c = temporality(m.histogram ? 'histogram' : 'exponentialHistogram', h.aggregationTemporality);
    return (h.dataPoints ?? []).map((p) => {
      const none = noRecordedValue(p);
      const value = none ? Number.NaN : Number(p.sum ?? 0);
      const count = none ? Number.NaN : int64(p.count);
      return {
        point: p,
        cumulative: c === true,
        value,
        count,
        bad:
          typeof c === 'string'
            ? c
            : none
              ? null
              : c === true && (p.sum === undefined || p.sum === null)
                ? // sum is optional in OTLP; read as 0, a cumulative series took the point for a reset and its next
                  // point counted the whole total again.
                  'sum is absent, expected the cumulative total of the observations: the point cannot be counted without it'
                : (notNumber('sum', p.sum, value) ?? notNumber('count', p.count, count)),
      };
    });
  }
  return [];
}

/**
 * `sum` plus what a cost point's window added, exactly: the point's and its base's decimals (each double's shortest
 * representation, as parseUsd reads a reported cost) differenced, not the doubles, whose difference is off in the
 * last digits once a cumulative total reaches thousands of dollars (9264.23257797 - 9264.2287 = 0.00387797000076).
 */
function addCost(sum: bigint | null, value: number, d: Delta | null): bigint | null {
  if (d === null || sum === null) return sum;
  const to = providerUsd(value);
  const from = providerUsd(d.base);
  return to === null || from === null ? null : sum + to - from;
}

function groupEvent(g: Group, ctx: MapContext): UnpricedEvent | string {
  const a = g.point;
  const model =
    g.family === 'genai' ? strOf(a, 'gen_ai.response.model', 'gen_ai.request.model') : str(a, 'model');
  if (model === null) return 'no model attribute on the data points; the usage cannot be priced';
  const s = g.sums;
  const round = Math.round;
  const usage: Usage =
    g.family === 'genai'
      ? usageOf({
          requests: g.requests,
          totalInput: round(s.input),
          cacheRead: round(s.cacheRead),
          cacheWrite: round(s.cacheWrite),
          output: round(s.output),
          reasoning: round(s.reasoning),
        })
      : {
          ...emptyUsage(),
          input_tokens: round(s.input),
          cache_read_tokens: round(s.cacheRead),
          cache_write_5m_tokens: round(s.cacheWrite),
          output_tokens: round(s.output),
        };
  const attribution = attributionOf(a, g.resource, ctx.attributes);
  if (g.family === 'claude-code') attribution.agent ??= 'claude-code';
  return {
    // The series are in the id: a Collector that splits an export by data point sends the input and the output
    // points of one window (or Claude Code's token and cost counters) in separate requests, and each is an event of
    // its own, not a retry of the other. The same export sent again gives the same series and the same id.
    event_id: eventId('otlp', 'metrics', g.key, g.from, g.to, [...g.series].sort().join(',')),
    source: 'otlp',
    source_ref: `metrics ${g.family === 'genai' ? 'gen_ai.client' : 'claude_code'} ${new Date(g.from / 1000).toISOString()}..${new Date(g.to / 1000).toISOString()}`,
    ingested_at: ctx.ingestedAt,
    ts: g.from,
    duration_ms: Math.round((g.to - g.from) / 1000),
    ttft_ms: null,
    ...attribution,
    provider:
      g.family === 'genai' ? providerId(strOf(a, 'gen_ai.provider.name', 'gen_ai.system')) : 'anthropic',
    model,
    model_requested: (g.family === 'genai' ? str(a, 'gen_ai.request.model') : null) ?? model,
    operation: g.family === 'genai' ? (str(a, 'gen_ai.operation.name') ?? 'chat') : 'messages',
    // Claude Code's token and cost counters carry `speed: "fast"` for fast-mode requests (monitoring-usage, Token
    // counter), which are billed at fast-mode prices; the attribute is in the group key, so a window never mixes them.
    service_tier: g.family === 'claude-code' ? anthropicServiceTier(null, a.get('speed')) : null,
    route_id: null,
    ...usage,
    energy_j: null,
    energy_source: null,
    status: str(a, 'error.type') !== null ? 'error' : 'ok',
    error_type: str(a, 'error.type'),
    provider_cost_usd: g.cost !== null && g.cost > 0n ? g.cost : null,
    given_cost: null,
  };
}
