/**
 * `--prices FILE` is a flag a user gave: a file that is not there, not YAML/JSON or not in the overrides format is an
 * error naming the file and the line or field, for every command that takes it — also those that price nothing
 * this time (a report without `--where model=…`, `events`, `keys list`), which printed their output as if the file
 * were fine, so the mistake surfaced only at the next import, priced without the overrides meant.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withoutAgentLogs } from '../helpers/no-agent-logs.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-prices-option-'));
  db = join(dir, 'ledger.duckdb');
  const file = join(dir, 'calls.jsonl');
  writeFileSync(
    file,
    `${JSON.stringify({ ts: '2026-11-03T09:00:00Z', model: 'gpt-4o', input_tokens: 10 })}\n`,
  );
  expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
}, 60_000);

const COMMANDS = [
  ['report'],
  ['report', '--by', 'team', '--bucket', 'day'],
  ['events', '--limit', '1'],
  ['export', '--format', 'csv'],
  ['keys', 'list'],
  ['tokens', 'list'],
  ['budgets', 'list'],
  ['alerts'],
];

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('a bad --prices FILE', () => {
  it.each(COMMANDS.map((c) => [c.join(' '), c] as const))(
    'is an error for `%s`, naming the file and what is wrong',
    async (_, c) => {
      const missing = join(dir, 'missing.yaml');
      const syntax = file('syntax.yaml', 'models:\n  - id: my-model\n    prices: [1,\n');
      const schema = file('schema.yaml', 'models:\n  - id: my-model\n    prices:\n      inptu_mtok: "3"\n');
      const run = (prices: string) => runCli([...c, '--db', db, '--prices', prices]);

      const notThere = await run(missing);
      expect(notThere).toMatchObject({ code: 1, stdout: '' });
      expect(notThere.stderr).toBe(
        `error PRICE_OVERRIDES_NOT_FOUND: ${missing} (from the --prices option) does not exist; fix the path or unset it\n`,
      );
      const bad = await run(syntax);
      expect(bad).toMatchObject({ code: 1, stdout: '' });
      expect(bad.stderr).toMatch(new RegExp(`^error PRICE_OVERRIDES_SYNTAX: ${syntax}:\\d+: not valid YAML`));
      const invalid = await run(schema);
      expect(invalid).toMatchObject({ code: 1, stdout: '' });
      expect(invalid.stderr).toMatch(/^error PRICE_OVERRIDES_INVALID: .*schema\.yaml/);
      expect(invalid.stderr).toContain('inptu_mtok');
    },
  );

  it('is an error for `tokenledger` alone, even with no agent logs to price', async () => {
    const r = await withoutAgentLogs(dir, () =>
      runCli(['--db', join(dir, 'alone.duckdb'), '--prices', join(dir, 'missing.yaml')]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error PRICE_OVERRIDES_NOT_FOUND: .*missing\.yaml \(from the --prices option\)/,
    );
  });

  it('named by TOKENLEDGER_PRICES, the default of --prices, is an error too, naming the variable', async () => {
    const missing = join(dir, 'missing-from-env.yaml');
    const before = process.env.TOKENLEDGER_PRICES;
    process.env.TOKENLEDGER_PRICES = missing;
    try {
      for (const c of [
        ['events', '--limit', '1'],
        ['keys', 'list'],
      ]) {
        const r = await runCli([...c, '--db', db]);
        expect(r).toMatchObject({ code: 1, stdout: '' });
        expect(r.stderr).toBe(
          `error PRICE_OVERRIDES_NOT_FOUND: ${missing} (from TOKENLEDGER_PRICES) does not exist; fix the path or unset it\n`,
        );
      }
      // The flag wins over the variable, as for pricing.
      const good = file(
        'good-over-env.yaml',
        'models:\n  - id: my-model\n    prices:\n      input_mtok: "3"\n',
      );
      expect((await runCli(['events', '--limit', '1', '--db', db, '--prices', good])).code).toBe(0);
    } finally {
      if (before === undefined) delete process.env.TOKENLEDGER_PRICES;
      else process.env.TOKENLEDGER_PRICES = before;
    }
  });

  it('a good one changes nothing for a command that prices nothing', async () => {
    const good = file('good.yaml', 'models:\n  - id: my-model\n    prices:\n      input_mtok: "3"\n');
    const plain = await runCli(['report', '--db', db]);
    expect(await runCli(['report', '--db', db, '--prices', good])).toEqual(plain);
  });
});
