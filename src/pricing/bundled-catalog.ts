import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalog, catalogFromGenaiPrices, type GenaiProvider } from './catalog.js';
import { parseOutputLimits } from './output-limits.js';
import { PricingError } from './pricing-errors.js';
import { parseServiceTiers } from './service-tiers.js';
import { parseWebSearchPrices } from './web-search.js';

/** The genai-prices release the bundled catalog is built from; package.json pins exactly this version. */
export const GENAI_PRICES_VERSION = '0.1.8';

const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'data');
const SERVICE_TIERS_FILE = join(DATA_DIR, 'service-tiers.json');
const WEB_SEARCH_FILE = join(DATA_DIR, 'web-search.json');
const OUTPUT_LIMITS_FILE = join(DATA_DIR, 'output-limits.json');

let cached: Promise<Catalog> | undefined;

/**
 * The catalog bundled with tokenledger: every provider and model of the installed, pinned @pydantic/genai-prices,
 * plus data/service-tiers.json, data/web-search.json and data/output-limits.json. Loaded once per process.
 *
 * The package exposes its whole provider list through a public function: `waitForUpdate()` resolves to the active
 * data, which is the snapshot compiled into the package until someone calls `updatePrices()` to fetch newer prices.
 * tokenledger never calls `updatePrices()`, so the catalog is exactly the pinned release and works offline.
 *
 * A build (`npm run build`) also writes that provider list as JSON beside the service tiers (writeCatalogSnapshot):
 * reading it takes ~10 ms where importing the package's 800 kB module took 70–110 ms of every command's start-up
 * (bench/RESULTS.md, "Command start-up"). Both give the same providers to the same conversion.
 */
export function loadBundledCatalog(): Promise<Catalog> {
  cached ??= loadCatalog(DATA_DIR);
  return cached;
}

/** The bundled catalog with its provider list read from `dataDir`'s snapshot when one of the installed version is there. */
export async function loadCatalog(dataDir: string): Promise<Catalog> {
  const version = installedVersion();
  if (version !== GENAI_PRICES_VERSION) {
    throw new PricingError(
      'PRICE_CATALOG_MISSING',
      `@pydantic/genai-prices ${version} is installed but tokenledger is built for ${GENAI_PRICES_VERSION}; run \`npm ci\` to restore the pinned version`,
    );
  }
  const providers = readSnapshot(dataDir, version) ?? (await packageProviders());
  const tiers = parseServiceTiers(readFileSync(SERVICE_TIERS_FILE, 'utf8'), SERVICE_TIERS_FILE);
  const webSearch = parseWebSearchPrices(readFileSync(WEB_SEARCH_FILE, 'utf8'), WEB_SEARCH_FILE);
  const outputLimits = parseOutputLimits(readFileSync(OUTPUT_LIMITS_FILE, 'utf8'), OUTPUT_LIMITS_FILE);
  return catalogFromGenaiPrices(providers, `genai-prices@${version}`, tiers, webSearch, outputLimits);
}

async function packageProviders(): Promise<GenaiProvider[]> {
  const { waitForUpdate } = await import('@pydantic/genai-prices');
  const providers = await waitForUpdate();
  if (!Array.isArray(providers) || providers.length === 0) {
    throw new PricingError(
      'PRICE_CATALOG_MISSING',
      '@pydantic/genai-prices returned no providers; run `npm ci` to reinstall it',
    );
  }
  return providers as unknown as GenaiProvider[];
}

interface Snapshot {
  version: string;
  providers: GenaiProvider[];
}

const snapshotFile = (dataDir: string, version: string) => join(dataDir, `genai-prices-${version}.json`);

/**
 * The snapshot's providers, or null when there is no readable one of `version` (a run from the sources, a partial
 * build): the package is then imported, which is only slower.
 */
function readSnapshot(dataDir: string, version: string): GenaiProvider[] | null {
  let s: Snapshot;
  try {
    s = JSON.parse(readFileSync(snapshotFile(dataDir, version), 'utf8')) as Snapshot;
  } catch {
    return null;
  }
  return s?.version === version && Array.isArray(s.providers) && s.providers.length > 0 ? s.providers : null;
}

/** Writes the installed package's provider list into `dataDir` for loadCatalog to read (scripts/postbuild.mjs). */
export async function writeCatalogSnapshot(dataDir: string): Promise<string> {
  const version = installedVersion();
  const file = snapshotFile(dataDir, version);
  const snapshot: Snapshot = { version, providers: await packageProviders() };
  writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
  renameSync(`${file}.tmp`, file);
  return file;
}

function installedVersion(): string {
  // The package's `exports` hide package.json, so find it beside the resolved entry point (dist/index.cjs).
  try {
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch (cause) {
    throw new PricingError('PRICE_CATALOG_MISSING', '@pydantic/genai-prices is not installed; run `npm ci`', {
      cause,
    });
  }
}
