import { readdirSync, readFileSync } from 'node:fs';

/** Every page under docs/, as one text: what the docs-coverage tests search (docs/testing.md, "The docs"). */
export function docsText(): string {
  return docsPages()
    .map(([, text]) => text)
    .join('\n');
}

/** Every page under docs/ as [its path, its text], for a test that says on which page a claim is wrong. */
export function docsPages(): [string, string][] {
  return readdirSync('docs', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => [`docs/${f}`, readFileSync(`docs/${f}`, 'utf8')]);
}
