import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { openAiInputText } from '../../src/gateway/providers/openai/request.js';
import { parseModelPrices, parseRoutingCases } from '../../src/router/dataset.js';
import { evaluateRouters } from '../../src/router/evaluate.js';
import { routeOf } from '../../src/router/learned-router.js';
import { partOf } from '../../src/router/split.js';
import { writeSection } from '../results-file.js';

/**
 * What routing adds to a gateway call: the router's decision (read the request's prompt text, hash its words, score
 * each model) against parsing the same request's JSON body, which the gateway does for every call anyway. The
 * router is trained on MMLU-Pro as `tokenledger route train` trains it (target 95%); the requests are chat
 * completions carrying its test prompts, then long prompts the size of an agent's conversation. Targets alternate
 * within each round; each figure is the median of the rounds.
 * Run: `node --import tsx bench/router/run.ts [rounds]` (default 7).
 */
const ROUNDS = Number(process.argv[2] ?? 7);
const DATA = join(import.meta.dirname, '../../../shared/data/routing');
const prices = parseModelPrices(readFileSync(join(DATA, 'models.json'), 'utf8'), 'models.json');
const data = parseRoutingCases(readFileSync(join(DATA, 'mmlu-pro.jsonl'), 'utf8'), 'mmlu-pro.jsonl', prices);
const t0 = performance.now();
const router = evaluateRouters(data, prices, { targets: [0.95] }).targets[0]!.router;
const trainSeconds = (performance.now() - t0) / 1000;

const body = (prompt: string) =>
  JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
const testPrompts = data.cases.filter((c) => partOf(c.id) === 'test').map((c) => c.prompt);
const long = (chars: number) => {
  const words = testPrompts.join(' ');
  return words.repeat(Math.ceil(chars / words.length)).slice(0, chars);
};
const sets = [
  {
    name: `MMLU-Pro test prompts (${testPrompts.length}, mean ${mean(testPrompts.map((p) => p.length))} chars)`,
    bodies: testPrompts.map(body),
  },
  { name: 'a 32 KB prompt', bodies: Array.from({ length: 200 }, (_, i) => body(`${i} ${long(32_768)}`)) },
  {
    name: 'a 1 MB prompt (read from its last 32 KB)',
    bodies: Array.from({ length: 10 }, (_, i) => body(`${i} ${long(1 << 20)}`)),
  },
];

let sink = 0;
const targets = {
  parse: (b: string) => {
    sink += Object.keys(JSON.parse(b) as object).length;
  },
  'parse and route': (b: string) => {
    sink += routeOf(router, openAiInputText(JSON.parse(b) as Record<string, unknown>)).length;
  },
};
type Target = keyof typeof targets;

const rows: string[] = [];
for (const set of sets) {
  const times: Record<Target, number[]> = { parse: [], 'parse and route': [] };
  for (let round = 0; round < ROUNDS; round++)
    for (const name of Object.keys(targets) as Target[]) {
      const run = targets[name];
      const start = performance.now();
      for (const b of set.bodies) run(b);
      times[name].push(((performance.now() - start) * 1000) / set.bodies.length);
    }
  const parse = median(times.parse);
  const routed = median(times['parse and route']);
  const cells = [set.name, parse, routed, routed - parse].map((x) =>
    typeof x === 'number' ? x.toFixed(1) : x,
  );
  rows.push(`| ${cells.join(' | ')} | ${(routed / parse).toFixed(2)}× |`);
}
if (sink === 0) throw new Error('nothing was measured');

const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}`;
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const models = router.models.map((m) => m.name).join(', ');
writeSection(
  'router',
  [
    '## Router: what a routing decision adds to a gateway call',
    '',
    `\`node --import tsx bench/router/run.ts ${ROUNDS}\`, ${when} UTC, ${machine}, load average ${load} at the end.`,
    `Router trained on MMLU-Pro's train part and tuned on its validation part for 95% (as \`tokenledger route train\``,
    `does) in ${trainSeconds.toFixed(1)} s; routes among ${models}. Baseline: \`JSON.parse\` of the same chat`,
    'completions body, which the gateway does for every call. Each figure is the median of the rounds, the targets',
    'alternating; µs per call, one thread. docs/router.md reads them.',
    '',
    '| requests | parse µs | parse and route µs | routing adds µs | ratio to parse |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n'),
);
process.stdout.write(`${rows.join('\n')}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mean(xs: number[]): number {
  return Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
}
