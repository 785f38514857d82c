import type { RoutingCase } from './dataset.js';
import { BITS, type Features, featuresOf } from './features.js';

/**
 * For each model, the chance it answers a prompt well, learned from past outcomes: one logistic regression per
 * model over the prompt's hashed words (features.ts), trained with AdaGrad. A score between 0 and 1 is taken as a
 * soft label, so graded outcomes train the same way as right/wrong ones.
 */
export interface ScoreModel {
  models: readonly string[];
  weights: readonly Float32Array[];
}

export interface TrainOptions {
  epochs?: number;
  rate?: number;
  /** L2 pull toward zero on every weight a prompt touches, against memorising rare words. */
  l2?: number;
  seed?: number;
}

export function trainScoreModel(
  cases: readonly RoutingCase[],
  models: readonly string[],
  { epochs = 4, rate = 0.3, l2 = 1e-5, seed = 1 }: TrainOptions = {},
): ScoreModel {
  const size = 1 << BITS;
  const weights = models.map(() => new Float32Array(size));
  const squares = models.map(() => new Float32Array(size));
  const features = cases.map((c) => featuresOf(c.prompt));
  const labels = models.map((m) => Float32Array.from(cases, (c) => c.outcomes.get(m)?.score ?? 0));
  const order = Uint32Array.from(cases, (_, i) => i);
  const random = mulberry32(seed);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, random);
    for (const i of order) {
      const f = features[i] as Features;
      for (let m = 0; m < models.length; m++) {
        const w = weights[m] as Float32Array;
        const g2 = squares[m] as Float32Array;
        const error = sigmoid(dot(w, f)) - (labels[m] as Float32Array)[i]!;
        for (const j of f.index) {
          const g = error * f.value + l2 * w[j]!;
          g2[j]! += g * g;
          w[j]! -= (rate * g) / Math.sqrt(g2[j]! + 1e-8);
        }
      }
    }
  }
  return { models, weights };
}

/** Each model's predicted score for a prompt, from its weights, in their order. */
export function predictScores(weights: readonly Float32Array[], f: Features): Float64Array {
  return Float64Array.from(weights, (w) => sigmoid(dot(w, f)));
}

function dot(w: Float32Array, f: Features): number {
  let s = 0;
  for (const j of f.index) s += w[j]!;
  return s * f.value;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A small seeded generator, so a training run is the same every time (a test can assert its result). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(a: Uint32Array, random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
