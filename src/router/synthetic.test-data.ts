import type { RoutingCase } from './dataset.js';

/**
 * Prompts whose words say which model can answer them: a "proof" only the large model gets right, anything else
 * both do. The large model costs ten times as much. A router that reads prompts can learn this exactly.
 */
export function learnableCases(n: number): RoutingCase[] {
  const topics = ['algebra', 'history', 'biology', 'law', 'poetry', 'chemistry', 'music', 'economics'];
  return Array.from({ length: n }, (_, i) => {
    const hard = i % 3 === 0;
    const topic = topics[(i * 7) % topics.length];
    const prompt = hard
      ? `write a rigorous proof about ${topic} number ${i}`
      : `a short question on ${topic} ${i}`;
    return {
      id: `s-${i}`,
      category: topic as string,
      prompt,
      inputTokens: 10,
      outcomes: new Map([
        ['small', { score: hard ? 0 : 1, cost: 1_000_000n, outputTokens: 1 }],
        ['large', { score: 1, cost: 10_000_000n, outputTokens: 1 }],
      ]),
    };
  });
}
