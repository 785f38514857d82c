import type { UsageEvent } from '../ledger/event.js';
import { formatUsd } from '../money/money.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const TOKEN_KINDS = [
  ['input', 'input_tokens'],
  ['cache_read', 'cache_read_tokens'],
  ['cache_write_5m', 'cache_write_5m_tokens'],
  ['cache_write_1h', 'cache_write_1h_tokens'],
  ['output', 'output_tokens'],
  ['reasoning', 'reasoning_tokens'],
] as const;

/**
 * At most this many (provider, model, team) label sets. Model names and the team header come from callers, and a
 * caller sending endless new ones must not grow the server's memory (or every scraper's) without bound: past the
 * cap, calls are counted under provider, model and team "(other)". Real deployments have hundreds.
 */
export const MAX_LABEL_SETS = 5000;
/** Not a key any call makes: those hold two NULs, this one none. */
const OVERFLOW = '(other)';

interface Labels {
  base: string;
  /** `base` with each TOKEN_KINDS kind, in that order. */
  kinds: string[];
  status: Map<string, string>;
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * The gateway's Prometheus metrics, kept in memory and rendered as text on /metrics. Cost sums stay exact (bigint
 * pico-dollars) and are printed as decimals.
 */
export class GatewayMetrics {
  private readonly requests = new Map<string, number>();
  private readonly tokens = new Map<string, number>();
  private readonly cost = new Map<string, bigint>();
  private readonly errors = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  /** Calls to a router's name, by router and the model sent: both come from the config, so their sets are bounded. */
  private readonly routed = new Map<string, number>();
  private walRefused = 0;
  private walRetired = 0;
  /** Response cache lookups by upstream (a name from the config) and outcome, and what the hits saved. */
  private readonly cacheLookups = new Map<string, number>();
  private readonly cacheSaved = new Map<string, bigint>();
  private cacheUnavailable = 0;
  private readonly balanceRests = new Map<string, number>();
  private readonly otlpRequests = new Map<string, number>();
  private readonly otlpRecords = new Map<string, number>();

  /** Label strings per (provider, model, team), built once: escaping and joining them was most of recordEvent. */
  private readonly labels = new Map<string, Labels>();

  recordEvent(e: UsageEvent): void {
    const provider = e.provider ?? '';
    const team = e.team ?? '';
    let id = `${provider}\u0000${e.model}\u0000${team}`;
    let l = this.labels.get(id);
    if (l === undefined && this.labels.size >= MAX_LABEL_SETS) {
      id = OVERFLOW;
      l = this.labels.get(id);
    }
    if (l === undefined) {
      const [p, m, t] = id === OVERFLOW ? ['(other)', '(other)', '(other)'] : [provider, e.model, team];
      const base = `provider="${esc(p)}",model="${esc(m)}",team="${esc(t)}"`;
      l = { base, kinds: TOKEN_KINDS.map(([kind]) => `${base},kind="${kind}"`), status: new Map() };
      this.labels.set(id, l);
    }
    let requests = l.status.get(e.status);
    if (requests === undefined) {
      requests = `${l.base},status="${e.status}"`;
      l.status.set(e.status, requests);
    }
    inc(this.requests, requests, 1);
    for (let i = 0; i < TOKEN_KINDS.length; i++) {
      const n = e[TOKEN_KINDS[i]![1]];
      if (n > 0) inc(this.tokens, l.kinds[i]!, n);
    }
    if (e.cost_usd !== null) this.cost.set(l.base, (this.cost.get(l.base) ?? 0n) + e.cost_usd);
    if (e.route_id !== null)
      inc(this.routed, `router="${esc(e.route_id)}",model="${esc(e.model_requested ?? '')}"`, 1);
  }

  recordCacheMiss(upstream: string): void {
    inc(this.cacheLookups, `upstream="${esc(upstream)}",outcome="miss"`, 1);
  }

  /** A lookup the cache's Redis did not answer in time (the call went upstream as a miss). */
  recordCacheUnavailable(): void {
    this.cacheUnavailable++;
  }

  /** A call the response cache answered, and what the call whose answer it was sent cost (null: unpriced). */
  recordCacheHit(upstream: string, saved: bigint | null): void {
    const labels = `upstream="${esc(upstream)}"`;
    inc(this.cacheLookups, `${labels},outcome="hit"`, 1);
    if (saved !== null) this.cacheSaved.set(labels, (this.cacheSaved.get(labels) ?? 0n) + saved);
  }

  /** A balanced model's target refused a call and rests (gateway/balance.ts). Both names come from the config. */
  recordRest(model: string, target: string): void {
    inc(this.balanceRests, `model="${esc(model)}",target="${esc(target)}"`, 1);
  }

  /** Events the store refused, set aside by the write-ahead log instead of stored (ledger/wal/set-aside.ts). */
  recordRefused(count: number): void {
    this.walRefused += count;
  }

  /** Events dated before the ledger's raw horizon, which the store left out (docs/store.md, Raw retention). */
  recordRetired(count: number): void {
    this.walRetired += count;
  }

  recordError(code: string): void {
    inc(this.errors, `code="${esc(code)}"`, 1);
  }

  /**
   * One answer of an OTLP receiver (same process, same /metrics): its transport, its status (HTTP's number, gRPC's
   * status name), events written, records rejected.
   */
  recordOtlp(transport: string, signal: string, status: string, events: number, rejected: number): void {
    inc(
      this.otlpRequests,
      `transport="${esc(transport)}",signal="${esc(signal)}",status="${esc(status)}"`,
      1,
    );
    if (events > 0) inc(this.otlpRecords, `signal="${esc(signal)}",outcome="recorded"`, events);
    if (rejected > 0) inc(this.otlpRecords, `signal="${esc(signal)}",outcome="rejected"`, rejected);
  }

  /** Time from sending the request upstream to its response headers. */
  recordLatency(upstream: string, seconds: number): void {
    // By the upstream's name, escaped when rendered: this runs on every call, and names come only from the config.
    let h = this.latency.get(upstream);
    if (h === undefined) {
      h = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(upstream, h);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  render(walDepth: number): string {
    const out: string[] = [];
    family(
      out,
      'tokenledger_gateway_requests_total',
      'counter',
      'Calls recorded, by provider, model, team and status.',
      this.requests,
    );
    family(
      out,
      'tokenledger_gateway_tokens_total',
      'counter',
      'Tokens recorded, by kind (reasoning is part of output).',
      this.tokens,
    );
    out.push('# HELP tokenledger_gateway_cost_usd_total Exact cost recorded, USD.');
    out.push('# TYPE tokenledger_gateway_cost_usd_total counter');
    for (const [labels, v] of this.cost)
      out.push(`tokenledger_gateway_cost_usd_total{${labels}} ${formatUsd(v)}`);
    family(
      out,
      'tokenledger_gateway_routed_requests_total',
      'counter',
      "Calls to a router's name (routers:), by the router and the model it sent them to.",
      this.routed,
    );
    family(
      out,
      'tokenledger_gateway_cache_lookups_total',
      'counter',
      'Calls the response cache looked up, by upstream and outcome (hit: answered from the cache, miss: sent).',
      this.cacheLookups,
    );
    out.push(
      '# HELP tokenledger_gateway_cache_saved_usd_total What the answers served from the cache cost when first asked, USD.',
    );
    out.push('# TYPE tokenledger_gateway_cache_saved_usd_total counter');
    for (const [labels, v] of this.cacheSaved)
      out.push(`tokenledger_gateway_cache_saved_usd_total{${labels}} ${formatUsd(v)}`);
    out.push(
      "# HELP tokenledger_gateway_cache_unavailable_total Lookups the response cache's Redis did not answer (sent as misses).",
      '# TYPE tokenledger_gateway_cache_unavailable_total counter',
      `tokenledger_gateway_cache_unavailable_total ${this.cacheUnavailable}`,
    );
    family(
      out,
      'tokenledger_gateway_balance_rests_total',
      'counter',
      "Calls a balanced model's target refused (429, 5xx, no connection), each setting it to rest.",
      this.balanceRests,
    );
    family(
      out,
      'tokenledger_gateway_errors_total',
      'counter',
      'Errors the gateway itself returned, by code.',
      this.errors,
    );
    out.push('# HELP tokenledger_gateway_upstream_latency_seconds Time to upstream response headers.');
    out.push('# TYPE tokenledger_gateway_upstream_latency_seconds histogram');
    for (const [upstream, h] of this.latency) {
      const labels = `upstream="${esc(upstream)}"`;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++)
        out.push(
          `tokenledger_gateway_upstream_latency_seconds_bucket{${labels},le="${LATENCY_BUCKETS[i]}"} ${h.counts[i]}`,
        );
      out.push(`tokenledger_gateway_upstream_latency_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
      out.push(`tokenledger_gateway_upstream_latency_seconds_sum{${labels}} ${h.sum}`);
      out.push(`tokenledger_gateway_upstream_latency_seconds_count{${labels}} ${h.count}`);
    }
    family(
      out,
      'tokenledger_otlp_requests_total',
      'counter',
      'OTLP exports answered, by transport (http, grpc), signal and status (HTTP status, gRPC status name).',
      this.otlpRequests,
    );
    family(
      out,
      'tokenledger_otlp_records_total',
      'counter',
      'OTLP records that became ledger events (recorded) or were refused in partialSuccess (rejected).',
      this.otlpRecords,
    );
    out.push('# HELP tokenledger_wal_depth Events acknowledged but not yet moved into the store.');
    out.push('# TYPE tokenledger_wal_depth gauge');
    out.push(`tokenledger_wal_depth ${walDepth}`);
    out.push(
      '# HELP tokenledger_wal_refused_events_total Acknowledged events the store refused, set aside in refused.jsonl.',
    );
    out.push('# TYPE tokenledger_wal_refused_events_total counter');
    out.push(`tokenledger_wal_refused_events_total ${this.walRefused}`);
    out.push(
      "# HELP tokenledger_wal_retired_events_total Acknowledged events dated before the ledger's raw horizon, not added.",
    );
    out.push('# TYPE tokenledger_wal_retired_events_total counter');
    out.push(`tokenledger_wal_retired_events_total ${this.walRetired}`);
    return `${out.join('\n')}\n`;
  }
}

function family(out: string[], name: string, type: string, help: string, m: Map<string, number>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, v] of m) out.push(`${name}{${labels}} ${v}`);
}

function inc(m: Map<string, number>, key: string, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

function esc(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
