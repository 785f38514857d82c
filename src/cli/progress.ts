import { createRequire } from 'node:module';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; nothing at all when piped or in CI, so output stays clean. */
export function progress(label: string, unit: 'bytes' | 'events', stream = process.stderr): Progress {
  if (!stream.isTTY || process.env.CI) return { update() {}, stop() {} };
  // Loaded only for a terminal, and by require (it is CommonJS, which an ESM import first scans for exports): the
  // ~20 ms it cost every import's start-up bought nothing when the output is piped.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value_fmt}/{total_fmt} ${unit === 'bytes' ? 'MB' : 'events'} | {duration}s`,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? fmt(v, unit) : String(v)),
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0, { value_fmt: fmt(0, unit), total_fmt: fmt(total, unit) });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { value_fmt: fmt(done, unit), total_fmt: fmt(total, unit) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function fmt(v: number, unit: 'bytes' | 'events'): string {
  return unit === 'bytes' ? (v / 1e6).toFixed(1) : String(v);
}
