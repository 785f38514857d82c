import { added, type CpuRun, type LatencyStats } from './stats.js';

/** One target's numbers from both phases of the run. */
export interface TargetResult {
  name: string;
  latency: LatencyStats;
  /** Phase 1: one request in flight. */
  seqCpu: CpuRun;
  /** Phase 2: requests in flight in parallel, the server busy. */
  loadCpu: CpuRun;
  /** Requests that did not get a 200 (warm-up included). */
  errors: number;
}

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const sg = (x: number, f: (x: number) => string = f0) => `${x >= 0 ? '+' : ''}${f(x)}`;

function addedCell(t: CpuRun, base: CpuRun): string {
  const a = added(t, base);
  return `${sg(a.total, f1)} (median ${sg(a.median, f1)}; ${f1(a.min)} … ${f1(a.max)})`;
}

/** The markdown table: one row per target, "added" columns against the first (budgets off). */
export function table(rows: readonly TargetResult[]): string {
  const off = rows[0]!;
  const out = [
    '| target | mean µs | p50 µs | p99 µs | added latency µs (mean / p50 / p99) | server CPU µs/req, 1 in flight | added | server CPU µs/req, loaded | added | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const base = r === off;
    const l = r.latency;
    const lat = base
      ? '—'
      : [l.mean - off.latency.mean, l.p50 - off.latency.p50, l.p99 - off.latency.p99]
          .map((x) => sg(x))
          .join(' / ');
    out.push(
      `| ${r.name} | ${f0(l.mean)} | ${f0(l.p50)} | ${f0(l.p99)} | ${lat} | ${f1(r.seqCpu.total)} | ${base ? '—' : addedCell(r.seqCpu, off.seqCpu)} | ${f1(r.loadCpu.total)} | ${base ? '—' : addedCell(r.loadCpu, off.loadCpu)} | ${r.errors} |`,
    );
  }
  return out.join('\n');
}

/** met / not met per goal of issue 6 point 8, with the numbers each verdict rests on. */
export function verdicts(rows: readonly [TargetResult, TargetResult, TargetResult]): string {
  const [off, mem, red] = rows;
  const v = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const load = added(mem.loadCpu, off.loadCpu);
  const seq = added(mem.seqCpu, off.seqCpu);
  const p99 = red.latency.p99 - off.latency.p99;
  const memP50 = mem.latency.p50 - off.latency.p50;
  const memMean = mem.latency.mean - off.latency.mean;
  return [
    `- In-process adds ≤ 20 µs per request under load: ${v(load.median <= 20)} — server CPU ${sg(load.median, f1)} µs per request (block median; whole run ${sg(load.total, f1)}).`,
    `- In-process adds ≤ 20 µs per request with one request in flight (an idle server: cold caches): ${v(seq.median <= 20 && memP50 <= 20)} — server CPU ${sg(seq.median, f1)} µs (block median; range ${f1(seq.min)} … ${f1(seq.max)}), latency p50 ${sg(memP50)} µs (mean ${sg(memMean)} µs).`,
    `- Redis adds ≤ 1 ms at p99: ${v(p99 <= 1000)} — p99 ${sg(p99)} µs (mean ${sg(red.latency.mean - off.latency.mean)} µs; server CPU ${sg(added(red.loadCpu, off.loadCpu).median, f1)} µs per request under load).`,
  ].join('\n');
}
