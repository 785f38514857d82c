import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { openAiImageFacts } from '../../src/gateway/providers/openai/image-usage.js';
import { openAiFacts } from '../../src/gateway/providers/openai/usage.js';
import { skimmedText } from '../../src/gateway/skim-json.js';
import { writeSection } from '../results-file.js';

/**
 * How long the gateway's event loop is held reading a large non-streamed answer for its usage: an Images API answer
 * of N base64 images (a high-quality 1536×1024 PNG is ~3 MB, ~4 MB in base64), and embeddings answers in base64 and
 * as arrays of numbers.
 * Baseline: what the gateway did before skim-json.ts, and still does for answers under 1 MiB — decode the body to
 * text and JSON.parse it whole. Ours: skimmedText, the same JSON without its long values. Both then read the facts
 * (openAiImageFacts, openAiFacts), which must agree. The two alternate round by round, so drift hits both alike; each
 * figure is the median of the rounds.
 * Run: `node --import tsx bench/gateway/large-answer.ts [ROUNDS]` (default 15); BENCH_WRITE=0 leaves
 * bench/RESULTS.md alone.
 */
const ROUNDS = Number(process.argv[2] ?? 15);

function imagesAnswer(images: number): Buffer {
  const b64 = randomBytes(3 * 1024 * 1024).toString('base64');
  return Buffer.from(
    JSON.stringify({
      created: 1_767_225_600,
      data: Array.from({ length: images }, () => ({ b64_json: b64 })),
      background: 'opaque',
      output_format: 'png',
      quality: 'high',
      size: '1536x1024',
      usage: {
        input_tokens: 50,
        input_tokens_details: { image_tokens: 0, text_tokens: 50 },
        output_tokens: 6240,
        total_tokens: 6290,
      },
    }),
  );
}

/**
 * An embeddings answer of `vectors` vectors of 1536 dimensions: in base64, as the openai SDKs ask for it
 * (`encoding_format: "base64"`, little-endian float32s), or as numbers, as the API gives them by default and most
 * clients but the openai SDKs get them (a float32 widened to a double, ~20 digits written).
 */
function embeddingsAnswer(vectors: number, encoding: 'base64' | 'float'): Buffer {
  const vector = () =>
    encoding === 'base64'
      ? randomBytes(1536 * 4).toString('base64')
      : Array.from({ length: 1536 }, () => Math.fround(Math.random() * 0.2 - 0.1));
  return Buffer.from(
    JSON.stringify({
      object: 'list',
      data: Array.from({ length: vectors }, (_, index) => ({
        object: 'embedding',
        index,
        embedding: vector(),
      })),
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: vectors * 40, total_tokens: vectors * 40 },
    }),
  );
}

const READERS = { image: openAiImageFacts, embeddings: openAiFacts };

function timeMs(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: string[] = [];
const load = loadavg()[0]!.toFixed(2);
const CASES: [string, keyof typeof READERS, Buffer][] = [
  ['1 image', 'image', imagesAnswer(1)],
  ['4 images', 'image', imagesAnswer(4)],
  ['10 images', 'image', imagesAnswer(10)],
  ['2048 base64 embeddings', 'embeddings', embeddingsAnswer(2048, 'base64')],
  ['512 float embeddings', 'embeddings', embeddingsAnswer(512, 'float')],
];
for (const [what, op, body] of CASES) {
  const read = READERS[op];
  const whole = () => read(JSON.parse(body.toString('utf8')));
  const skimmed = () => read(JSON.parse(skimmedText(body)));
  if (JSON.stringify(whole()) !== JSON.stringify(skimmed()))
    throw new Error('the skimmed answer gives other facts than the whole one');
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so neither always follows the other's garbage.
    if (r % 2 === 0) {
      a.push(timeMs(whole));
      b.push(timeMs(skimmed));
    } else {
      b.push(timeMs(skimmed));
      a.push(timeMs(whole));
    }
  }
  const [ma, mb] = [median(a), median(b)];
  rows.push(
    `| ${what} | ${(body.length / 1e6).toFixed(1)} | ${ma.toFixed(1)} (${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)}) | ${mb.toFixed(2)} (${Math.min(...b).toFixed(2)}–${Math.max(...b).toFixed(2)}) | ${(ma / mb).toFixed(0)}× |`,
  );
  process.stdout.write(`${rows.at(-1)}\n`);
}

const md = `### Gateway: reading a large answer for its usage

Written by \`node --import tsx bench/gateway/large-answer.ts ${ROUNDS}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, load average ${load} at the start; ${ROUNDS} alternated rounds, median (range).

Event-loop time to read a non-streamed answer for its usage: Images API answers of base64 images (~4 MB each), and
embeddings answers in base64 (the openai SDKs' default encoding) and as arrays of numbers (the API's default).
Baseline: decoding the body to text and parsing it whole (the gateway's reading before \`src/gateway/skim-json.ts\`,
still its reading of answers under 1 MiB). Ours: the same JSON with strings and arrays of numbers over 1 KiB left
out. Both give the same facts (checked in the run). Every call through the gateway waits while one is read.

| answer | MB | whole parse ms (baseline) | skimmed ms (ours) | baseline ÷ ours |
|---|---|---|---|---|
${rows.join('\n')}`;

if (process.env.BENCH_WRITE !== '0') writeSection('large-answer', md);
