import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('tokenledger serve port flags', () => {
  // Number() read '' as 0, which turns a receiver off, and 0x10ce as 4302: neither is what was typed.
  it('refuses an OTLP port that is not decimal digits, naming the flag, before anything starts', async () => {
    for (const [flag, value] of [
      ['--otlp-port', ''],
      ['--otlp-port', '0x10ce'],
      ['--otlp-grpc-port', '4.317e3'],
      ['--otlp-grpc-port', ' 4317'],
    ] as const) {
      const r = await runCli(['serve', flag, value, '--db', '/nonexistent/never-opened.duckdb']);
      expect(r.code, `${flag} ${value}`).toBe(1);
      expect(r.stderr, `${flag} ${value}`).toContain(
        `error CLI_BAD_OPTION: ${flag} ${JSON.stringify(value)}: expected a port number`,
      );
    }
  });
});
