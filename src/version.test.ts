import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { TOKENLEDGER_VERSION } from './version.js';

it("is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(TOKENLEDGER_VERSION).toBe(pkg.version);
});
