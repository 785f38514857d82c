import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatUsd, parseDecimal } from '../../src/money/money.js';
import { routeOf } from '../../src/router/learned-router.js';
import { parseRouterFile } from '../../src/router/router-file.js';
import { learnableCases } from '../../src/router/synthetic.test-data.js';
import { runCli } from '../helpers/run-cli.js';

// A dataset in the routing format whose prompts' words say which model can answer, as JSONL with its prices file.
function dataset(extraLines: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'tl-route-'));
  const lines = learnableCases(1500).map((c) =>
    JSON.stringify({
      id: c.id,
      category: c.category,
      prompt: c.prompt,
      outcomes: Object.fromEntries(
        [...c.outcomes].map(([m, o]) => [m, { score: o.score, output_chars: 40 }]),
      ),
    }),
  );
  writeFileSync(
    join(dir, 'cases.jsonl'),
    `${[...lines.slice(0, 2), ...extraLines, ...lines.slice(2)].join('\n')}\n`,
  );
  writeFileSync(
    join(dir, 'models.json'),
    JSON.stringify({
      small: { input_per_mtok: 1, output_per_mtok: 2 },
      large: { input_per_mtok: 10, output_per_mtok: 20 },
    }),
  );
  return join(dir, 'cases.jsonl');
}

describe('tokenledger route eval', () => {
  it('prints each policy on the test prompts, reading prices from models.json beside the data', async () => {
    const r = await runCli(['route', 'eval', dataset(), '--targets', '0.95']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^cases\.jsonl: 1,500 prompts, 2 models; trained on [\d,]+, tuned on [\d,]+, reported on/,
    );
    for (const policy of [
      'small',
      'large',
      'oracle',
      'learned router',
      'best model per category',
      'random mix',
    ])
      expect(r.stdout).toContain(`  ${policy}  `);
    expect(r.stdout).toContain('strongest: large; cheapest: small');
  });

  it('gives exact costs and calls per model as JSON', async () => {
    const r = await runCli(['route', 'eval', dataset(), '--format', 'json', '--targets', '1']);
    const e = JSON.parse(r.stdout);
    expect(e.strongest).toBe('large');
    const large = e.singles.find((s: { policy: string }) => s.policy === 'large');
    // Each call: ceil(chars / 4) input tokens at $10/M plus 10 output tokens at $20/M, summed exactly.
    expect(large.cost_usd).toMatch(/^0\.\d{12}$/);
    const learned = e.targets[0].policies.find((p: { policy: string }) => p.policy === 'learned router');
    expect(learned.quality).toBe(1);
    expect(learned.calls.small + learned.calls.large).toBe(e.sizes.test);
    // Every answer right: a point costs the policy's cost over the test prompts.
    expect(learned.points).toBe(e.sizes.test);
    expect(learned.cost_per_point_usd).toBe(formatUsd(parseDecimal(learned.cost_usd) / BigInt(e.sizes.test)));
    expect(Number(learned.cost_usd)).toBeLessThan(Number(large.cost_usd) / 2);
  });

  it('skips a bad line with file:line and reads the rest', async () => {
    const file = dataset(['{"id": "x"}']);
    const r = await runCli(['route', 'eval', file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${file}:3  ROUTER_BAD_CASE  category: required (a string)\n`);
    const e = JSON.parse(r.stdout);
    expect(e.sizes.train + e.sizes.validation + e.sizes.test).toBe(1500);
  });

  it('says what is wrong with a missing file, a target out of range, or a model without a price', async () => {
    expect((await runCli(['route', 'eval', '/nonexistent.jsonl'])).stderr).toMatch(/^error CLI_NO_FILE: /);
    expect((await runCli(['route', 'eval', tmpdir()])).stderr).toMatch(
      /^error CLI_NO_FILE: .*: not a file\n/,
    );
    const bad = await runCli(['route', 'eval', dataset(), '--targets', '0.9,1.5']);
    expect(bad.stderr).toMatch(/^error CLI_BAD_OPTION: --targets "0\.9,1\.5": a target is a share/);
    const file = dataset();
    expect((await runCli(['route', 'eval', file, '--model-prices', '/no.json'])).stderr).toMatch(
      /CLI_NO_FILE/,
    );
    writeFileSync(
      join(file, '../other.json'),
      JSON.stringify({ large: { input_per_mtok: 1, output_per_mtok: 1 } }),
    );
    const r = await runCli(['route', 'eval', file, '--model-prices', join(file, '../other.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ROUTER_UNPRICED_MODEL: model "small"/);
  });
});

describe('tokenledger route train', () => {
  it('saves the router tuned for the target, and says what it kept and saved on the test prompts', async () => {
    const file = dataset();
    const output = join(file, '../router.json');
    const r = await runCli(['route', 'train', file, '-o', output, '--target', '1']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        "^wrote .*router\\.json: routes among small, large\non the [\\d,]+ test prompts it kept 100\\.0% of large's " +
          'quality at 2\\.\\d\\d× less cost \\(tuned to keep 100%\\)\n',
      ),
    );
    const saved = parseRouterFile(readFileSync(output, 'utf8'), output);
    expect(saved.measured).toMatchObject({
      trained_on: 'cases.jsonl',
      target: 1,
      strongest: 'large',
      quality_share: 1,
    });
    expect(routeOf(saved.router, 'write a rigorous proof about law number 99999')).toBe('large');
    expect(routeOf(saved.router, 'a short question on law 99999')).toBe('small');
  });

  it('needs an output file it can write and a target between 0 and 1', async () => {
    expect((await runCli(['route', 'train', dataset()])).stderr).toMatch(
      /required option '-o, --output <file>'/,
    );
    const r = await runCli(['route', 'train', dataset(), '-o', '/tmp/x.json', '--target', '95']);
    expect(r.stderr).toMatch(/^error CLI_BAD_OPTION: --target "95": a target is a share/);
    const nowhere = await runCli(['route', 'train', dataset(), '-o', '/no/such/folder/router.json']);
    expect(nowhere.stderr).toMatch(
      /^error ROUTER_WRITE_FAILED: cannot write \/no\/such\/folder\/router\.json: ENOENT/,
    );
  });
});
