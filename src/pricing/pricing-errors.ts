import { TokenledgerError } from '../errors.js';

/**
 * Every error the pricing engine raises on purpose. Codes are stable and documented in docs/pricing.md; never reuse
 * one for a different meaning.
 */
export const PRICING_ERROR_CODES = {
  PRICE_CATALOG_MISSING: 'the bundled catalog package cannot be loaded',
  PRICE_CATALOG_INVALID: 'the bundled catalog holds a value tokenledger cannot read',
  PRICE_SERVICE_TIERS_INVALID: 'src/pricing/data/service-tiers.json is malformed',
  PRICE_WEB_SEARCH_INVALID: 'src/pricing/data/web-search.json is malformed',
  PRICE_OUTPUT_LIMITS_INVALID: 'src/pricing/data/output-limits.json is malformed',
  PRICE_OVERRIDES_NOT_FOUND: 'an overrides file named by option or TOKENLEDGER_PRICES does not exist',
  PRICE_OVERRIDES_READ: 'the overrides file exists but cannot be read',
  PRICE_OVERRIDES_SYNTAX: 'the overrides file is not valid YAML or JSON',
  PRICE_OVERRIDES_INVALID: 'the overrides file does not follow the documented format',
} as const;

export type PricingErrorCode = keyof typeof PRICING_ERROR_CODES;

export class PricingError extends TokenledgerError {
  constructor(code: PricingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PricingError';
  }
}
