import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PRICING_ERROR_CODES } from './pricing-errors.js';

describe('pricing error catalog', () => {
  it('documents every code in docs/pricing.md', async () => {
    const docs = await readFile(new URL('../../docs/pricing.md', import.meta.url), 'utf8');
    for (const code of Object.keys(PRICING_ERROR_CODES)) expect(docs, code).toContain(`| \`${code}\` |`);
  });
});
