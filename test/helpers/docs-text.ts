import { readdirSync, readFileSync } from 'node:fs';

/** Every page under docs/, as one text: what the docs-coverage tests search (docs/testing.md, "The docs"). */
export function docsText(): string {
  return readdirSync('docs', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => readFileSync(`docs/${f}`, 'utf8'))
    .join('\n');
}
