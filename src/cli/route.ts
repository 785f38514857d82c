import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { costPerPoint } from '../metrics/economics.js';
import { formatUsd, formatUsdDisplay, formatUsdShort } from '../money/money.js';
import { type ModelPrice, parseModelPrices, parseRoutingCases } from '../router/dataset.js';
import { type Evaluation, evaluateRouters } from '../router/evaluate.js';
import type { PolicyResult } from '../router/policy.js';
import { routerFileText } from '../router/router-file.js';
import { counted, groupDigits } from './group-digits.js';
import { renderTable } from './report-format.js';

export interface RouteEvalOptions {
  modelPrices?: string;
  targets?: string;
  format?: 'table' | 'json';
}

/** `tokenledger route eval FILE`: how a learned router and the baselines trade cost for quality on a dataset. */
export function routeEvalCommand(
  file: string,
  o: RouteEvalOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): void {
  const { data, prices } = readDataset(file, o.modelPrices, err);
  const e = evaluateRouters(data, prices, { targets: targetsOf(o.targets) });
  out(o.format === 'json' ? `${JSON.stringify(asJson(e), null, 2)}\n` : table(basename(file), e));
}

export interface RouteTrainOptions {
  modelPrices?: string;
  target?: string;
  output: string;
}

/** `tokenledger route train FILE -o ROUTER`: the router tuned for one target, saved for the gateway. */
export function routeTrainCommand(
  file: string,
  o: RouteTrainOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): void {
  const [target] = targetsOf(o.target ?? '0.95', '--target');
  const { data, prices } = readDataset(file, o.modelPrices, err);
  const e = evaluateRouters(data, prices, { targets: [target!] });
  const t = e.targets[0]!;
  const learned = t.rows[0]!;
  const strongest = e.singles[e.strongest]!;
  const measured = {
    trained_on: basename(file),
    target: t.target,
    test_prompts: e.sizes.test,
    quality_share: learned.quality / strongest.quality,
    cheaper: learned.cost === 0n ? 0 : Number(strongest.cost) / Number(learned.cost),
    strongest: e.models[e.strongest]!,
  };
  try {
    writeFileSync(o.output, routerFileText(t.router, measured));
  } catch (cause) {
    throw new TokenledgerError(
      'ROUTER_WRITE_FAILED',
      `cannot write ${o.output}: ${(cause as Error).message}; check the folder exists and is writable`,
      { cause },
    );
  }
  out(
    `wrote ${o.output}: routes among ${t.router.models.map((m) => m.name).join(', ')}\n` +
      `on the ${groupDigits(e.sizes.test)} test prompts it kept ${(100 * measured.quality_share).toFixed(1)}% of ` +
      `${measured.strongest}'s quality at ${measured.cheaper.toFixed(2)}× less cost (tuned to keep ` +
      `${(100 * t.target).toFixed(0)}%)\n` +
      `route with it: \`routers: { auto: ${o.output} }\` in tokenledger.config.yaml, then call model "auto" ` +
      '(docs/router.md)\n',
  );
}

function readDataset(file: string, modelPrices: string | undefined, err: (s: string) => void) {
  const pricesFile = modelPrices ?? join(dirname(file), 'models.json');
  const prices =
    modelPrices !== undefined || isFile(pricesFile)
      ? parseModelPrices(readText(pricesFile, '--model-prices '), pricesFile)
      : new Map<string, ModelPrice>();
  const data = parseRoutingCases(readText(file), file, prices);
  for (const s of data.skipped.slice(0, 5)) err(`${s.at}  ROUTER_BAD_CASE  ${s.reason}\n`);
  if (data.skipped.length > 5) err(`… and ${counted(data.skipped.length - 5, 'more line')} skipped\n`);
  if (data.cases.length === 0)
    throw new TokenledgerError('ROUTER_NO_CASES', `${file}: no case could be read`);
  return { data, prices };
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** A file named on the command line, or CLI_NO_FILE saying it is missing or not a file (a folder, say). */
function readText(path: string, flag = ''): string {
  if (!isFile(path))
    throw new TokenledgerError(
      'CLI_NO_FILE',
      `${flag}${path}: ${existsSync(path) ? 'not a file' : 'no such file'}`,
    );
  return readFileSync(path, 'utf8');
}

function targetsOf(text = '0.9,0.95,1', flag = '--targets'): number[] {
  return text.split(',').map((t) => {
    const n = Number(t);
    if (t.trim() === '' || !(n > 0 && n <= 1))
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `${flag} ${JSON.stringify(text)}: a target is a share of the strongest model's quality, ` +
          'above 0 and at most 1 (0.95)',
      );
    return n;
  });
}

function table(name: string, e: Evaluation): string {
  const strongest = e.singles[e.strongest] as PolicyResult;
  const { train, validation, test } = e.sizes;
  const routed = [e.oracle, ...e.targets.flatMap((t) => t.rows)].map((r) => routedTo(r, e.models));
  const routedWidth = Math.max(...routed.map((r) => r.length));
  // A single model's row needs no "routed to"; the others' read left-aligned, as the words they are.
  const row = (target: string, r: PolicyResult) => [
    target,
    r.policy,
    r.quality.toFixed(4),
    `${((100 * r.quality) / strongest.quality).toFixed(1)}%`,
    formatUsdShort(r.cost, 4),
    perPoint(r),
    r.cost === 0n ? '—' : `${(Number(strongest.cost) / Number(r.cost)).toFixed(2)}×`,
    e.singles.includes(r) ? '' : routedTo(r, e.models).padEnd(routedWidth),
  ];
  const rows = [
    ...e.singles.map((r) => row('', r)),
    row('', e.oracle),
    ...e.targets.flatMap((t) => t.rows.map((r) => row(`${(100 * t.target).toFixed(0)}%`, r))),
  ];
  const header = ['target', 'policy', 'quality', 'of strongest', 'cost', 'per point', 'cheaper', 'routed to'];
  return (
    `${name}: ${counted(train + validation + test, 'prompt')}, ${counted(e.models.length, 'model')}; ` +
    `trained on ${groupDigits(train)}, tuned on ${groupDigits(validation)}, reported on the other ` +
    `${groupDigits(test)}\n\n${renderTable(header, rows, 2, e.singles.length + 1)}\n\n` +
    `strongest: ${e.models[e.strongest]}; cheapest: ${e.models[e.cheapest]} (by their means in training)\n` +
    'target: the share of the strongest model’s quality each policy was tuned to keep, on the validation prompts\n' +
    'per point: cost over the sum of scores, per right answer where scores are right or wrong (docs/metrics.md)\n' +
    'cheaper: the strongest model’s cost over the policy’s, on the test prompts (docs/router.md)\n'
  );
}

function perPoint(r: PolicyResult): string {
  const pico = costPerPoint(r.cost, r.points);
  return pico === null ? '—' : formatUsdDisplay(pico);
}

/** The models that took calls, most first: "gemini-1.5-flash-002 58%, gemini-1.5-pro-002 38%, …". */
function routedTo(r: PolicyResult, models: readonly string[]): string {
  const total = r.calls.reduce((a, b) => a + b, 0);
  const taken = r.calls
    .map((n, m) => ({ n, model: models[m] as string }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n);
  const shown = taken.slice(0, 3).map((x) => `${x.model} ${Math.round((100 * x.n) / total)}%`);
  return [...shown, ...(taken.length > 3 ? ['…'] : [])].join(', ');
}

function asJson(e: Evaluation) {
  const result = (r: PolicyResult) => {
    const perPoint = costPerPoint(r.cost, r.points);
    return {
      policy: r.policy,
      quality: r.quality,
      points: r.points,
      cost_usd: formatUsd(r.cost),
      cost_per_point_usd: perPoint === null ? null : formatUsd(perPoint),
      calls: Object.fromEntries(e.models.map((m, i) => [m, r.calls[i]])),
    };
  };
  return {
    models: e.models,
    sizes: e.sizes,
    strongest: e.models[e.strongest],
    cheapest: e.models[e.cheapest],
    singles: e.singles.map(result),
    oracle: result(e.oracle),
    targets: e.targets.map((t) => ({ target: t.target, policies: t.rows.map(result) })),
  };
}
