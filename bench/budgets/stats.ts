/** Latency summary of one target, µs. */
export interface LatencyStats {
  mean: number;
  p50: number;
  p99: number;
}

export function latencyStats(xs: readonly number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p99: at(0.99) };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU µs per request in each block of a run, and over the whole run. */
export interface CpuRun {
  total: number;
  blocks: number[];
}

/** A CPU clock read at block boundaries → per-request CPU per block and overall. */
export function cpuRun(clock: readonly number[], perBlock: number): CpuRun {
  const blocks = clock.slice(1).map((c, i) => (c - clock[i]!) / perBlock);
  return { total: (clock.at(-1)! - clock[0]!) / (perBlock * blocks.length), blocks };
}

/** What a target adds over the baseline: the whole run's difference and the median of the per-block differences. */
export function added(t: CpuRun, base: CpuRun): { total: number; median: number; min: number; max: number } {
  const d = t.blocks.map((c, i) => c - base.blocks[i]!);
  return { total: t.total - base.total, median: median(d), min: Math.min(...d), max: Math.max(...d) };
}
