/**
 * The FOCUS 1.2 Cost and Usage dataset the ledger exports (docs/focus.md): its columns in order, and the charges one
 * call is split into. Dialect-free: focus-sql.ts writes it as SQL, which each store's focus-export.ts runs.
 */

export const FOCUS_VERSION = '1.2';

/**
 * The columns, FOCUS's first in the specification's (alphabetical) order, then the custom ones, prefixed `x_` as
 * FOCUS requires. Conditional columns whose condition never holds for a ledger of API calls (commitment discounts,
 * capacity reservations, regions, resources, a pricing currency other than the billing one, more than one kind of
 * billing account, invoices the ledger has not seen) are left out, as FOCUS allows; docs/focus.md lists them.
 */
export const FOCUS_COLUMNS = [
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedCost',
  'ContractedUnitPrice',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'ListUnitPrice',
  'PricingCategory',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'ServiceCategory',
  'ServiceName',
  'ServiceSubcategory',
  'SkuId',
  'SkuMeter',
  'SkuPriceDetails',
  'SkuPriceId',
  'SubAccountId',
  'SubAccountName',
  'SubAccountType',
  'Tags',
  'x_Model',
  'x_Provider',
  'x_ServiceTier',
  'x_CostSource',
] as const;

export type FocusColumn = (typeof FOCUS_COLUMNS)[number];

/**
 * A column's type in a typed file (Parquet): a decimal at the scale focus-sql.ts writes it at (so the cast is exact),
 * a UTC instant (FOCUS DateTime), or text (JSON columns stay their JSON text).
 */
export type FocusType = { decimal: number } | 'instant' | 'text';

export const FOCUS_TYPES: Readonly<Record<FocusColumn, FocusType>> = Object.fromEntries(
  FOCUS_COLUMNS.map((c): [FocusColumn, FocusType] => [c, typeOf(c)]),
) as Record<FocusColumn, FocusType>;

function typeOf(c: FocusColumn): FocusType {
  switch (c) {
    case 'BilledCost':
    case 'EffectiveCost':
    case 'PricingQuantity':
      return { decimal: 12 };
    // Unit price × PricingQuantity, unrounded: USD per 1M at 18 digits × tokens ÷ 10^6.
    case 'ListCost':
    case 'ContractedCost':
      return { decimal: 24 };
    case 'ListUnitPrice':
    case 'ContractedUnitPrice':
      return { decimal: 18 };
    // Audio in seconds, to the millisecond.
    case 'ConsumedQuantity':
      return { decimal: 3 };
    case 'BillingPeriodStart':
    case 'BillingPeriodEnd':
    case 'ChargePeriodStart':
    case 'ChargePeriodEnd':
      return 'instant';
    default:
      return 'text';
  }
}

/**
 * How a charge is counted and priced: tokens per million, searches per thousand, audio (counted in seconds) by the
 * hour.
 */
export type ChargeUnit = 'tokens' | 'searches' | 'audio';

/**
 * One priced charge of a call: its quantity column, the rate it is billed at (a rate card field) and the SKU meter
 * FOCUS shows. A call priced part by part becomes one row per charge it has; the ledger's four cost parts are split
 * so that the rows of a call sum to its cost exactly (focus-sql.ts says how).
 */
export interface ChargeKind {
  /** SkuId's last segment and SkuPriceDetails' x_TokenType. */
  kind: string;
  meter: string;
  unit: ChargeUnit;
}

export const CHARGE_KINDS: readonly ChargeKind[] = [
  { kind: 'input', meter: 'Input Tokens', unit: 'tokens' },
  { kind: 'input_audio', meter: 'Input Audio Tokens', unit: 'tokens' },
  { kind: 'input_image', meter: 'Input Image Tokens', unit: 'tokens' },
  { kind: 'cache_read', meter: 'Cache Read Tokens', unit: 'tokens' },
  { kind: 'cache_write_5m', meter: 'Cache Write Tokens (5 minutes)', unit: 'tokens' },
  { kind: 'cache_write_1h', meter: 'Cache Write Tokens (1 hour)', unit: 'tokens' },
  { kind: 'output', meter: 'Output Tokens', unit: 'tokens' },
  { kind: 'output_audio', meter: 'Output Audio Tokens', unit: 'tokens' },
  { kind: 'output_image', meter: 'Output Image Tokens', unit: 'tokens' },
  { kind: 'web_search', meter: 'Web Searches', unit: 'searches' },
  { kind: 'audio_duration', meter: 'Audio Duration', unit: 'audio' },
];

/** FOCUS UnitFormat: a whole-number quantity before a plural unit. */
export const UNITS: Record<ChargeUnit, { consumed: string; pricing: string }> = {
  tokens: { consumed: 'Tokens', pricing: '1000000 Tokens' },
  searches: { consumed: 'Requests', pricing: '1000 Requests' },
  audio: { consumed: 'Seconds', pricing: 'Hours' },
};

/** Attribution the rows are grouped by and carry in Tags (session and task ids would make a row per session). */
export const TAG_FIELDS = ['org', 'team', 'user', 'project', 'agent', 'environment', 'api_key_id'] as const;
