/**
 * Issue 4's benchmark goals, judged from one run's numbers: what bench/gateway/run.ts writes under its tables, so
 * that "met" in bench/RESULTS.md is computed from the run it sits under and not read off by hand.
 */

/** One target's open-loop rounds at one rate: each figure a round's, in round order. */
export interface OpenRounds {
  p50: number[];
  p99: number[];
  /** The target's p50 / p99 minus direct's in the same round. */
  addedP50: number[];
  addedP99: number[];
  ttfb50: number[];
  errors: number;
  /** Largest RSS read after a round, MB. */
  rss: number;
}

/** One target's closed-loop rounds. */
export interface ClosedRounds {
  rps: number[];
  cpuUsPerReq: number[];
}

export interface ModeResults {
  /** rate → target name → rounds. */
  open: Map<number, Map<string, OpenRounds>>;
  closed: Map<string, ClosedRounds>;
}

export interface Goal {
  goal: string;
  value: string;
  met: boolean;
}

/** The names run.ts gives the targets the goals compare. */
export const GATEWAY = 'tokenledger (WAL synced after ack)';
export const BARE = 'bare node proxy';
export const PORTKEY = 'portkey';

/** A proxy that keeps up with an open loop answers at its usual latency; one falling behind queues, seconds deep. */
const KEEPS_UP_P50_MS = 10;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

/** Each goal of issue 4, point 10, for JSON and streaming calls; goals against Portkey only when it ran. */
export function judge(json: ModeResults, stream: ModeResults): Goal[] {
  const goals: Goal[] = [];
  for (const [mode, r] of [
    ['JSON', json],
    ['streaming', stream],
  ] as const) {
    const at500 = r.open.get(500)!.get(GATEWAY)!;
    const p50 = median(at500.addedP50);
    const p99 = median(at500.addedP99);
    goals.push({ goal: `${mode}: added p50 at 500/s ≤ 0.5 ms`, value: ms(p50), met: p50 <= 0.5 });
    goals.push({ goal: `${mode}: added p99 at 500/s ≤ 5 ms`, value: ms(p99), met: p99 <= 5 });

    const at1000 = r.open.get(1000)!.get(GATEWAY)!;
    const p50At1000 = median(at1000.p50);
    goals.push({
      goal: `${mode}: keeps up with 1000/s (no errors, p50 ≤ ${KEEPS_UP_P50_MS} ms)`,
      value: `${at1000.errors} errors, p50 ${ms(p50At1000)}`,
      met: at1000.errors === 0 && p50At1000 <= KEEPS_UP_P50_MS,
    });

    const ours = r.closed.get(GATEWAY)!;
    const portkey = r.closed.get(PORTKEY);
    if (portkey !== undefined) {
      const x = median(ours.rps) / median(portkey.rps);
      goals.push({
        goal: `${mode}: closed-loop throughput ≥ 2× Portkey's`,
        value: `${x.toFixed(1)}×`,
        met: x >= 2,
      });
    }
    const bare = r.closed.get(BARE)!;
    const cpu = median(ours.cpuUsPerReq) / median(bare.cpuUsPerReq);
    goals.push({
      goal: `${mode}: CPU per request ≤ 1.5× the bare proxy's`,
      value: `${cpu.toFixed(2)}× (${median(ours.cpuUsPerReq).toFixed(0)} against ${median(bare.cpuUsPerReq).toFixed(0)} µs)`,
      met: cpu <= 1.5,
    });

    if (mode === 'streaming') {
      const over = [...r.open.keys()].map(
        (rate) =>
          median(r.open.get(rate)!.get(GATEWAY)!.ttfb50) - median(r.open.get(rate)!.get(BARE)!.ttfb50),
      );
      goals.push({
        goal: `streaming: time to first byte ≤ the bare proxy's + 1 ms (at ${[...r.open.keys()].join(', ')}/s)`,
        value: `${over.map((d) => `${d >= 0 ? '+' : ''}${d.toFixed(2)}`).join(', ')} ms`,
        met: over.every((d) => d <= 1),
      });
    }
    goals.push({
      goal: `${mode}: RSS at 1000/s ≤ 150 MB`,
      value: `${at1000.rss.toFixed(1)} MB`,
      met: at1000.rss <= 150,
    });
  }
  return goals;
}
