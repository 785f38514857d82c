import { emptyUsage, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { attributionOf } from './attribution.js';
import type { MapContext, Mapped } from './mapped.js';
import type { Metric, NumberDataPoint } from './otlp-types.js';
import type { TemporalityState } from './temporality.js';
import { type Attrs, attrs, int64, nanosToMicros, str } from './values.js';

/**
 * GPUs a company serves a model from (config `otlp.gpus`): an energy series whose attributes (its data point's, then
 * its resource's) hold every `match` pair is the energy of serving `model`. A GPU's energy is a machine's, not a
 * call's: the ledger sets it against the tokens of that model's calls in the same window (docs/metrics.md).
 */
export interface GpuPool {
  match: Readonly<Record<string, string>>;
  model: string;
  provider: string | null;
}

/** Joules per unit of each energy counter's value. */
const ENERGY_METRICS: Record<string, (unit: string) => number | string> = {
  // OpenTelemetry's semantic conventions for hardware: a counter in joules, `hw.type` naming the component.
  'hw.energy': (unit) => UNITS[unit] ?? `unit ${JSON.stringify(unit)}, expected J`,
  // NVIDIA DCGM (dcgm-exporter, scraped by a Collector): millijoules since the driver loaded, whatever unit a
  // scrape gives it (Prometheus text has none).
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: () => 0.001,
};
const UNITS: Record<string, number> = { '': 1, J: 1, mJ: 0.001, kJ: 1000, Wh: 3600, kWh: 3_600_000 };

export function isEnergyMetric(name: string): boolean {
  return Object.hasOwn(ENERGY_METRICS, name);
}

interface Window {
  pool: GpuPool;
  point: Attrs;
  resource: Attrs;
  key: string;
  from: number;
  to: number;
  joules: number;
  series: Set<string>;
  refs: string[];
}

/**
 * GPU energy counters → one event per (resource, pool, window): the joules the pool's GPUs on that resource used,
 * on an event of its model with no tokens and no calls (`operation` energy), which costs nothing. Cumulative series
 * go through the same temporality state as token counters: a restart of the counter is a reset, never negative use.
 * Energy of another component (`hw.type` cpu, …) is not inference energy and is ignored; a GPU no pool names is
 * rejected, saying so, as its joules could be set against no tokens.
 */
export class EnergyWindows {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly pools: readonly GpuPool[],
    private readonly state: TemporalityState,
    private readonly out: Mapped,
  ) {}

  add(m: Metric, resource: Attrs, resKey: string, ref: (n: number) => string): void {
    const name = m.name ?? '';
    const scale = ENERGY_METRICS[name]!(m.unit ?? '');
    const sum = m.sum;
    // A gauge of the same name (a scrape that lost the counter's type) is refused by name, not left unread.
    const gauge = (m as { gauge?: { dataPoints?: NumberDataPoint[] | null } | null }).gauge;
    const perUnit = typeof scale === 'number' ? scale : 0;
    const bad =
      typeof scale === 'string'
        ? scale
        : sum === null || sum === undefined
          ? 'a gauge, expected a Sum: energy is read from a counter'
          : null;
    const t = sum?.aggregationTemporality;
    const cumulative = t === 2 || t === 'AGGREGATION_TEMPORALITY_CUMULATIVE';
    const delta = t === 1 || t === 'AGGREGATION_TEMPORALITY_DELTA';
    for (const [n, p] of (sum?.dataPoints ?? gauge?.dataPoints ?? []).entries()) {
      const a = attrs(p.attributes);
      if (name === 'hw.energy' && (str(a, 'hw.type') ?? str(resource, 'hw.type')) !== 'gpu') {
        this.out.ignored++;
        continue;
      }
      const time = nanosToMicros(p.timeUnixNano);
      // FLAG_NO_RECORDED_VALUE (metrics.ts): a staleness marker, no value; read as 0 it would be a reset.
      const raw =
        (Number(p.flags ?? 0) & 1) !== 0
          ? Number.NaN
          : Object.hasOwn(p, 'asDouble')
            ? Number(p.asDouble)
            : Object.hasOwn(p, 'asInt')
              ? int64(p.asInt)
              : Number.NaN;
      const poolIndex = this.pools.findIndex((pool) => matches(pool.match, a, resource));
      const problem =
        bad ??
        (!cumulative && !delta
          ? 'sum.aggregationTemporality is unset, expected 1 (delta) or 2 (cumulative)'
          : !Number.isFinite(raw) && !Number.isNaN(raw)
            ? `value is ${raw}, expected a number`
            : poolIndex < 0
              ? `no otlp.gpus entry matches this GPU (${describe(a, resource)}): its energy cannot be set ` +
                "against a model's tokens (docs/otel/gpu-energy.md)"
              : null);
      if (problem !== null || time === null) {
        const reason = problem ?? 'data point without a valid timeUnixNano';
        this.out.rejected.push({ ref: ref(n), code: 'OTLP_BAD_DATA_POINT', reason });
        continue;
      }
      const seriesAttrs = JSON.stringify([...a].sort());
      const d = this.state.next(
        `${resKey}|${name}|${seriesAttrs}`,
        cumulative,
        nanosToMicros(p.startTimeUnixNano),
        time,
        raw,
      );
      if (d === null) continue;
      const key = `${resKey}|gpu|${poolIndex}`;
      let w = this.windows.get(key);
      if (w === undefined) {
        w = {
          pool: this.pools[poolIndex]!,
          point: a,
          resource,
          key,
          from: d.from,
          to: d.to,
          joules: 0,
          series: new Set(),
          refs: [],
        };
        this.windows.set(key, w);
      } else {
        w.from = Math.min(w.from, d.from);
        w.to = Math.max(w.to, d.to);
      }
      w.joules += d.value * perUnit;
      w.series.add(`${name}|${seriesAttrs}`);
      w.refs.push(ref(n));
    }
  }

  /** The windows' events, into `out` (with the data points each was made of). */
  finish(ctx: MapContext): void {
    for (const w of this.windows.values()) {
      const e = energyEvent(w, ctx);
      this.out.events.push(e);
      this.out.madeOf.set(e, w.refs);
    }
  }
}

function matches(match: Readonly<Record<string, string>>, point: Attrs, resource: Attrs): boolean {
  for (const [k, v] of Object.entries(match)) {
    const got = point.get(k) ?? resource.get(k);
    if (got === undefined || String(got) !== v) return false;
  }
  return true;
}

/** The attributes that tell a GPU apart, for the rejection that asks for a pool naming it. */
function describe(point: Attrs, resource: Attrs): string {
  const keys = ['host.name', 'k8s.pod.name', 'k8s.node.name', 'Hostname', 'hw.id', 'UUID', 'gpu'];
  const found = keys.flatMap((k) => {
    const v = point.get(k) ?? resource.get(k);
    return v === undefined ? [] : [`${k}=${String(v)}`];
  });
  return found.length > 0 ? found.join(', ') : 'no host.name, k8s.pod.name, hw.id or UUID attribute';
}

function energyEvent(w: Window, ctx: MapContext): UnpricedEvent {
  const iso = (us: number) => new Date(us / 1000).toISOString();
  return {
    // The series are in the id, as for token counters (metrics.ts): the same export sent again is the same event.
    event_id: eventId('otlp', 'energy', w.key, w.from, w.to, [...w.series].sort().join(',')),
    source: 'otlp',
    source_ref: `energy ${w.pool.model} ${iso(w.from)}..${iso(w.to)}`,
    ingested_at: ctx.ingestedAt,
    ts: w.from,
    duration_ms: Math.round((w.to - w.from) / 1000),
    ttft_ms: null,
    ...attributionOf(w.point, w.resource, ctx.attributes),
    provider: w.pool.provider,
    model: w.pool.model,
    model_requested: w.pool.model,
    operation: 'energy',
    service_tier: null,
    route_id: null,
    ...emptyUsage(),
    // Millijoule precision: a difference of two large float totals carries noise in its last digits.
    energy_j: Math.round(w.joules * 1000) / 1000,
    energy_source: 'measured',
    status: 'ok',
    error_type: null,
    provider_cost_usd: null,
    given_cost: null,
  };
}
