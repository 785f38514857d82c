import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progress } from './progress.js';

/** A stream that keeps what is written to it, a terminal or not. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number; cursorTo?: unknown; clearLine?: unknown };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream: stream as unknown as typeof process.stderr, text: () => chunks.join('') };
}

function run(stream: typeof process.stderr) {
  const p = progress('importing', 'bytes', stream);
  p.update(25_000_000, 100_000_000);
  p.update(100_000_000, 100_000_000);
  p.stop();
}

describe('progress', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('draws a bar with MB done and total on a terminal, and clears it when done', () => {
    vi.stubEnv('CI', '');
    const tty = sink(true);
    run(tty.stream);
    // Drawn when it starts and when the work is done (in-between updates are throttled), then cleared.
    expect(tty.text()).toContain('importing [');
    expect(tty.text()).toContain('0% | 0.0/100.0 MB');
    expect(tty.text()).toContain('100% | 100.0/100.0 MB');
  });

  it('writes nothing when the output is piped, or in CI', () => {
    vi.stubEnv('CI', '');
    const piped = sink(false);
    run(piped.stream);
    expect(piped.text()).toBe('');
    vi.stubEnv('CI', 'true');
    const ci = sink(true);
    run(ci.stream);
    expect(ci.text()).toBe('');
  });
});
