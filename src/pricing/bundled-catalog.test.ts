import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForUpdate } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { GENAI_PRICES_VERSION, loadCatalog, writeCatalogSnapshot } from './bundled-catalog.js';
import type { Catalog } from './catalog.js';
import { createPricer } from './pricer.js';

/** The catalog's data, without the compiled matchers (functions, which differ between any two loads). */
function data(c: Catalog): unknown {
  return JSON.parse(
    JSON.stringify(c, (k, v) => (typeof v === 'bigint' ? `${v}n` : k === 'matches' ? undefined : v)),
  );
}

describe('the bundled catalog snapshot', () => {
  it('holds exactly the providers the pinned package gives, and loads to the same catalog and prices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-catalog-'));
    const file = await writeCatalogSnapshot(dir);
    expect(file).toBe(join(dir, `genai-prices-${GENAI_PRICES_VERSION}.json`));
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    expect(snapshot.version).toBe(GENAI_PRICES_VERSION);
    expect(snapshot.providers).toEqual(await waitForUpdate());

    const fromSnapshot = await loadCatalog(dir);
    const fromPackage = await loadCatalog(mkdtempSync(join(tmpdir(), 'tl-catalog-none-')));
    expect(data(fromSnapshot)).toEqual(data(fromPackage));
    // The matchers compiled from the snapshot's rules resolve every model id of the catalog to the same rates.
    const a = createPricer(fromSnapshot, null);
    const b = createPricer(fromPackage, null);
    const ts = Date.UTC(2026, 10, 1) * 1000;
    let priced = 0;
    for (const p of fromPackage.providers)
      for (const m of p.models) {
        const [ra, rb] = [a.resolve(m.id, p.id), b.resolve(m.id, p.id)];
        expect([ra?.provider, ra?.model, ra?.rule]).toEqual([rb?.provider, rb?.model, rb?.rule]);
        if (ra === null || rb === null) continue;
        expect(a.rates(ra, ts, 300_000, null)).toEqual(b.rates(rb, ts, 300_000, null));
        priced++;
      }
    expect(priced).toBeGreaterThan(1000);
  });

  it('is what the catalog is read from when it holds the installed version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-catalog-read-'));
    const file = await writeCatalogSnapshot(dir);
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    snapshot.providers = [{ id: 'only', name: 'Only', models: [] }];
    writeFileSync(file, JSON.stringify(snapshot));
    expect((await loadCatalog(dir)).providers.map((p) => p.id)).toEqual(['only']);
  });

  it('is not read when it is cut short (a build stopped while writing it): the package is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-catalog-torn-'));
    const file = await writeCatalogSnapshot(dir);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 1000));
    expect((await loadCatalog(dir)).providers.map((p) => p.id)).toContain('openai');
  });

  it('is not read when it holds another version of the package (a stale build): the package is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-catalog-stale-'));
    writeFileSync(
      join(dir, `genai-prices-${GENAI_PRICES_VERSION}.json`),
      JSON.stringify({ version: '0.0.1', providers: [{ id: 'stale', name: 'Stale', models: [] }] }),
    );
    const c = await loadCatalog(dir);
    expect(c.providers.map((p) => p.id)).not.toContain('stale');
    expect(c.providers.map((p) => p.id)).toContain('openai');
  });
});
