import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docsText } from './helpers/docs-text.js';

// Every stable error code raised in src/ has a row in docs/errors.md with what it means and how to solve it
// (fastify keeps its error catalog honest the same way).
const CODE =
  /['"`]((?:MONEY|LEDGER|PRICE|STORE|SRC|CLI|CFG|GW|API|OTLP|BUDGET|ALERT|ROUTER|ROI)_[A-Z0-9_]+)['"`]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('docs/errors.md', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  const codes = new Set<string>();
  for (const f of sourceFiles('src'))
    for (const m of readFileSync(f, 'utf8').matchAll(CODE)) codes.add(m[1]!);

  it('finds the codes it checks', () => {
    expect(codes.size).toBeGreaterThan(10);
  });

  it.each([...codes].sort())('documents %s with a way to solve it', (code) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row!.split('|').filter((c) => c.trim()).length).toBeGreaterThanOrEqual(3);
  });

  // The other way round: a user who looks for a code a page names (a skip in an import's summary, an error body)
  // finds it in what tokenledger prints, so no page names a code nothing raises.
  const named = new Set(
    [
      ...`${readFileSync('README.md', 'utf8')}\n${docsText()}`.matchAll(
        /`((?:MONEY|LEDGER|PRICE|STORE|SRC|CLI|CFG|GW|API|OTLP|BUDGET|ALERT|ROUTER|ROI)_[A-Z0-9_]+)`/g,
      ),
    ].map((m) => m[1]!),
  );

  it.each([...named].sort())('names %s, a code src/ raises', (code) => {
    expect(codes.has(code), `the docs name ${code}, which no code in src/ raises`).toBe(true);
  });
});
