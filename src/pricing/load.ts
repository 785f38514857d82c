import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { loadBundledCatalog } from './bundled-catalog.js';
import type { Overrides } from './overrides.js';
import { createPricer, type Pricer } from './pricer.js';
import { PricingError } from './pricing-errors.js';

/** File names looked for in the working directory when no path is given, in this order. */
const OVERRIDES_FILE_NAMES = [
  'tokenledger.prices.yaml',
  'tokenledger.prices.yml',
  'tokenledger.prices.json',
] as const;

export interface LoadPricerOptions {
  /** An explicit overrides file (the CLI's --prices); must exist. */
  overridesPath?: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The pricer for a process: the bundled catalog plus the overrides file chosen by `overridesPath`, else the env
 * variable TOKENLEDGER_PRICES, else tokenledger.prices.yaml / .yml / .json in `cwd` if present.
 */
export async function loadPricer(opts: LoadPricerOptions): Promise<Pricer> {
  const [catalog, overrides] = await Promise.all([loadBundledCatalog(), readOverrides(opts)]);
  return createPricer(catalog, overrides);
}

/** The files readOverrides looks at, in its order: the one named by option or environment, else the default names. */
export function overridesCandidates(opts: LoadPricerOptions): string[] {
  const explicit = explicitPath(opts);
  return explicit !== undefined ? [explicit] : OVERRIDES_FILE_NAMES.map((name) => join(opts.cwd, name));
}

function explicitPath(opts: LoadPricerOptions): string | undefined {
  const explicit = opts.overridesPath ?? (opts.env.TOKENLEDGER_PRICES?.trim() || undefined);
  return explicit === undefined ? undefined : isAbsolute(explicit) ? explicit : resolve(opts.cwd, explicit);
}

/** Finds and parses the overrides file, or null when none is configured or present. */
export async function readOverrides(opts: LoadPricerOptions): Promise<Overrides | null> {
  const path = explicitPath(opts);
  if (path !== undefined) {
    const how = opts.overridesPath !== undefined ? 'the --prices option' : 'TOKENLEDGER_PRICES';
    const text = await readText(path);
    if (text === null)
      throw new PricingError(
        'PRICE_OVERRIDES_NOT_FOUND',
        `${path} (from ${how}) does not exist; fix the path or unset it`,
      );
    return parse(text, path);
  }
  for (const candidate of overridesCandidates(opts)) {
    const text = await readText(candidate);
    if (text !== null) return parse(text, candidate);
  }
  return null;
}

/** The overrides parser, and the YAML library under it, load only when there is a file to parse (~30 ms). */
async function parse(text: string, path: string): Promise<Overrides> {
  return (await import('./overrides.js')).parseOverrides(text, path);
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PricingError(
      'PRICE_OVERRIDES_READ',
      `${path}: cannot read the overrides file (${(cause as Error).message}); check its permissions`,
      { cause },
    );
  }
}
