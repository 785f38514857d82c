import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd } from '../money/money.js';
import { loadPricer } from './load.js';
import { parseOverrides } from './overrides.js';
import { unpricedEvent } from './unpriced-event.js';

const F = 'tokenledger.prices.yaml';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('overrides file validation', () => {
  it('reports every problem with file:line, key path and what is allowed', () => {
    const text = [
      'models:',
      '  - id: local',
      '    prices:',
      '      input_mtok: "abc"',
      'discounts:',
      '  - percent_off: 150',
      '    provider: openai',
      '  - percent_off: 5',
      'colour: blue',
      '',
    ].join('\n');
    const e = errorOf(() => parseOverrides(text, F));
    expect(e.code).toBe('PRICE_OVERRIDES_INVALID');
    expect(e.message).toContain(`${F} has 4 problems`);
    expect(e.message).toContain(`${F}:4: models[0].prices.input_mtok`);
    expect(e.message).toContain('decimal string such as "3.75"');
    expect(e.message).toContain(`${F}:6: discounts[0].percent_off: expected a percentage from 0 to 100`);
    expect(e.message).toContain('discounts[1]: a discount needs `provider`, `model` or both');
    expect(e.message).toContain(
      '(top level): unknown key "colour"; allowed here: models, aliases, discounts',
    );
  });

  it('tells a misspelt key the keys allowed beside it, and a missing one that it is required', () => {
    const text = ['models:', '  - model: gpt-4o-mini', '    input_per_mtok: "0.15"', ''].join('\n');
    const e = errorOf(() => parseOverrides(text, F));
    expect(e.message).toContain(`${F}:2: models[0].id: required (a string)`);
    expect(e.message).toContain(`${F}:2: models[0].prices: required (an object)`);
    expect(e.message).toContain(
      `${F}:2: models[0]: unknown keys "model", "input_per_mtok"; allowed here: id, provider, names, from, until, prices`,
    );
  });

  it('rejects, at file:line, an amount it could not hold exactly instead of rounding it or failing without a place', () => {
    const text = [
      'models:',
      '  - id: local',
      '    prices:',
      '      input_mtok: "123456789012345678901234567890"',
      '      output_mtok: "0.123456789012345678901234567891"',
      '      cache_read_mtok: 1e-30',
      '      cache_write_mtok: { base: "1", tiers: [ { start: 1000, price: "1e40" } ] }',
      'discounts:',
      '  - provider: openai',
      '    percent_off: "100.000000000000000001"',
      '',
    ].join('\n');
    const e = errorOf(() => parseOverrides(text, F));
    expect(e.code).toBe('PRICE_OVERRIDES_INVALID');
    expect(e.message).toContain(`${F} has 5 problems`);
    expect(e.message).toContain(
      `${F}:4: models[0].prices.input_mtok: 123456789012345678901234567890 is too large (at most 20 digits before the decimal point)`,
    );
    expect(e.message).toContain(
      `${F}:5: models[0].prices.output_mtok: 0.123456789012345678901234567891 has more than 18 digits after the decimal point`,
    );
    expect(e.message).toContain(`${F}:6: models[0].prices.cache_read_mtok: 1e-30 has more than 18 digits`);
    expect(e.message).toContain(
      `${F}:7: models[0].prices.cache_write_mtok.tiers[0].price: 1e40 is too large`,
    );
    expect(e.message).toContain(`${F}:10: discounts[0].percent_off: expected a percentage from 0 to 100`);
    // 18 digits after the point and 20 before are held exactly.
    const ok = parseOverrides(
      'models:\n  - id: m\n    prices:\n      input_mtok: "12345678901234567890.123456789012345678"\n',
      F,
    );
    expect(ok.models[0]!.prices.input_mtok!.base).toBe(12345678901234567890123456789012345678n);
  });

  it('says what a price may be when its shape is wrong, and gives a line for a missing key', () => {
    const text = [
      'models:',
      '  - id: local',
      '    prices:',
      '      input_mtok:',
      '      output_mtok: { base: "1", tiers: [ { start: 1000 } ] }',
      '  - id: other',
      '',
    ].join('\n');
    const e = errorOf(() => parseOverrides(text, F));
    const allowed =
      'expected a decimal string such as "3.75", or tiers as {base: "3", tiers: [{start: 200000, price: "6"}]}';
    expect(e.message).toContain(`${F}:4: models[0].prices.input_mtok: ${allowed}`);
    expect(e.message).toContain(`${F}:5: models[0].prices.output_mtok: ${allowed}`);
    expect(e.message).toContain(`${F}:6: models[1].prices:`);
    expect(e.message).not.toContain('Invalid input\n');
  });

  it('rejects a range whose end is not after its start, naming the line', () => {
    const e = errorOf(() =>
      parseOverrides(
        'discounts:\n  - provider: openai\n    percent_off: 5\n    from: 2025-06-01\n    until: 2025-01-01\n',
        F,
      ),
    );
    expect(e.message).toContain(
      `${F}:5: discounts[0].until: \`until\` (2025-01-01) must be after \`from\` (2025-06-01)`,
    );
  });

  it('rejects a day the month does not have instead of moving the date into the next month', () => {
    const e = errorOf(() =>
      parseOverrides(
        'discounts:\n  - provider: openai\n    percent_off: 5\n    from: 2025-02-29\n    until: 2025-04-31T00:00:00Z\n',
        F,
      ),
    );
    const expected =
      'expected a date such as "2025-01-01" or an ISO time with a zone such as "2025-01-01T09:00:00Z"';
    expect(e.message).toContain(`${F}:4: discounts[0].from: ${expected}`);
    expect(e.message).toContain(`${F}:5: discounts[0].until: ${expected}`);
    // A leap day is a day.
    const leap = parseOverrides(
      'discounts:\n  - provider: openai\n    percent_off: 5\n    from: 2024-02-29\n',
      F,
    );
    expect(leap.discounts[0]!.fromUs).toBe(Date.parse('2024-02-29T00:00:00Z') * 1000);
  });

  it('reports YAML and JSON syntax errors with their own code', () => {
    expect(errorOf(() => parseOverrides('models: [\n', F)).code).toBe('PRICE_OVERRIDES_SYNTAX');
    expect(errorOf(() => parseOverrides('{"models": [}', 'p.json')).code).toBe('PRICE_OVERRIDES_SYNTAX');
  });

  it('reads numbers through their shortest decimal string and tiers as given', () => {
    const o = parseOverrides(
      'models:\n  - id: m\n    prices:\n      input_mtok: 0.075\n      output_mtok: { base: "1", tiers: [ { start: 1000, price: "2" } ] }\n',
      F,
    );
    expect(o.models[0]!.prices.input_mtok!.base).toBe(75_000_000_000_000_000n);
    expect(o.models[0]!.prices.output_mtok!.tiers).toEqual([
      { start: 1000, price: 2_000_000_000_000_000_000n },
    ]);
  });
});

describe('loadPricer reads the overrides file', () => {
  let dir: string;
  const yaml =
    'models:\n  - id: local-model\n    provider: self-hosted\n    prices: { input_mtok: "1", output_mtok: "2" }\n';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-pricing-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cost = async (opts: Parameters<typeof loadPricer>[0]) =>
    (await loadPricer(opts)).price(
      unpricedEvent({ model: 'local-model', input_tokens: 100_000, output_tokens: 100_000 }),
    ).cost_usd;

  it('from the working directory when present, and none otherwise', async () => {
    const cwd = join(dir, 'cwd');
    await mkdir(cwd);
    expect((await loadPricer({ cwd, env: {} })).version).toBe('genai-prices@0.1.8');
    await writeFile(join(cwd, 'tokenledger.prices.yaml'), yaml);
    // 100,000 × $1 + 100,000 × $2 = $0.30
    expect(await cost({ cwd, env: {} })).toBe(parseUsd('0.3'));
  });

  it('from TOKENLEDGER_PRICES, and the explicit option over it (JSON too)', async () => {
    const envFile = join(dir, 'env.yaml');
    await writeFile(envFile, yaml.replace('"2"', '"4"'));
    const jsonFile = join(dir, 'explicit.json');
    await writeFile(
      jsonFile,
      JSON.stringify({
        models: [{ id: 'local-model', provider: 'x', prices: { input_mtok: '0.5', output_mtok: '0.5' } }],
      }),
    );
    // env: 100,000 × $1 + 100,000 × $4 = $0.50; explicit: 200,000 × $0.50 = $0.10
    expect(await cost({ cwd: dir, env: { TOKENLEDGER_PRICES: envFile } })).toBe(parseUsd('0.5'));
    expect(await cost({ cwd: dir, env: { TOKENLEDGER_PRICES: envFile }, overridesPath: jsonFile })).toBe(
      parseUsd('0.1'),
    );
  });

  it('gives audio prices to a model the catalog prices without them (gpt-4o-audio-preview)', async () => {
    const cwd = join(dir, 'audio');
    await mkdir(cwd);
    const call = unpricedEvent({
      provider: 'openai',
      model: 'gpt-4o-audio-preview',
      input_tokens: 1_000,
      input_audio_tokens: 600,
      output_tokens: 500,
      output_audio_tokens: 400,
    });
    // The catalog: all at $2.50 / $10 (1,000 × 2.5 + 500 × 10 = $0.0075).
    expect((await loadPricer({ cwd, env: {} })).price(call).cost_usd).toBe(parseUsd('0.0075'));
    await writeFile(
      join(cwd, F),
      [
        'models:',
        '  - id: gpt-4o-audio-preview',
        '    provider: openai',
        '    prices: { input_mtok: "2.5", output_mtok: "10", input_audio_mtok: "40", output_audio_mtok: "80" }',
        '',
      ].join('\n'),
    );
    // 400 × 2.5 + 600 × 40 = $0.025; 100 × 10 + 400 × 80 = $0.033.
    const priced = (await loadPricer({ cwd, env: {} })).price(call);
    expect([priced.cost_input, priced.cost_output, priced.cost_usd]).toEqual([
      parseUsd('0.025'),
      parseUsd('0.033'),
      parseUsd('0.058'),
    ]);
  });

  it('a named file that does not exist is an error, not a silent catalog-only run', async () => {
    await expect(loadPricer({ cwd: dir, env: { TOKENLEDGER_PRICES: 'nope.yaml' } })).rejects.toMatchObject({
      code: 'PRICE_OVERRIDES_NOT_FOUND',
    });
  });
});
