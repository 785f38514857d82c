import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalog, catalogFromGenaiPrices, type GenaiProvider } from './catalog.js';
import { PricingError } from './pricing-errors.js';
import { parseServiceTiers } from './service-tiers.js';

/** The genai-prices release the bundled catalog is built from; package.json pins exactly this version. */
export const GENAI_PRICES_VERSION = '0.1.8';

const SERVICE_TIERS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'service-tiers.yaml');

let cached: Promise<Catalog> | undefined;

/**
 * The catalog bundled with tokenledger: every provider and model of the installed, pinned @pydantic/genai-prices,
 * plus data/service-tiers.yaml. Loaded once per process.
 *
 * The package exposes its whole provider list through a public function: `waitForUpdate()` resolves to the active
 * data, which is the snapshot compiled into the package until someone calls `updatePrices()` to fetch newer prices.
 * tokenledger never calls `updatePrices()`, so the catalog is exactly the pinned release and works offline.
 */
export function loadBundledCatalog(): Promise<Catalog> {
  cached ??= load();
  return cached;
}

async function load(): Promise<Catalog> {
  const version = installedVersion();
  if (version !== GENAI_PRICES_VERSION) {
    throw new PricingError(
      'PRICE_CATALOG_MISSING',
      `@pydantic/genai-prices ${version} is installed but tokenledger is built for ${GENAI_PRICES_VERSION}; run \`npm ci\` to restore the pinned version`,
    );
  }
  const { waitForUpdate } = await import('@pydantic/genai-prices');
  const providers = await waitForUpdate();
  if (!Array.isArray(providers) || providers.length === 0) {
    throw new PricingError(
      'PRICE_CATALOG_MISSING',
      '@pydantic/genai-prices returned no providers; run `npm ci` to reinstall it',
    );
  }
  const tiers = parseServiceTiers(readFileSync(SERVICE_TIERS_FILE, 'utf8'), SERVICE_TIERS_FILE);
  return catalogFromGenaiPrices(providers as unknown as GenaiProvider[], `genai-prices@${version}`, tiers);
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
