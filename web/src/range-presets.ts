/**
 * The ranges the range control offers, each ending now. The longest is also the least raw retention a server takes
 * (`server.raw_retention_days`, src/gateway/config-schema.ts): a preset never reaches calls kept only as daily sums.
 */
export const RANGE_PRESETS: readonly (readonly [since: string, label: string])[] = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'],
];
