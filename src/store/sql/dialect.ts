import type { Bucket } from '../query.js';

/**
 * What differs between SQL engines, and nothing else: the query compiler (compile-query.ts) is shared and asks the
 * dialect for these fragments. Placeholders are positional `?`; the compiler keeps the parameter list in order.
 */
export interface SqlDialect {
  readonly name: string;
  /** A quoted identifier (the names come from the closed lists in query.ts, never from users). */
  ident(name: string): string;
  /** SQL turning a bound epoch-microsecond integer into the engine's timestamp. */
  timestampParam(): string;
  /**
   * Start of the bucket holding timestamp expression `ts` (UTC), as a UTC timestamp: UTC's bucket, or with `zone` (a
   * placeholder for an IANA name, which the compiler binds twice: the SQL holds it exactly twice) the local one of
   * that zone.
   */
  bucketStart(bucket: Bucket, ts: string, zone?: string): string;
  /**
   * A UTC timestamp no bucket of any zone's calendar splits, for timestamp expression `ts` (UTC): a query bucketed in
   * a zone groups its events by this first and converts each distinct one to the zone's bucket, not each event.
   */
  zoneSlot(ts: string): string;
  /** Value of tag `key` (a bound parameter placeholder) in the tags column `tags`; NULL when not set. */
  tagValue(tags: string, keyParam: string): string;
  /** Sum of a HUGEINT/Int128 pico-dollar or count column, 0 when there are no rows. */
  sum(expr: string): string;
  /** Rank of a group (1 = most expensive) over all groups of the query. */
  rankByCost(costSum: string, tieBreak: readonly string[]): string;
  /** `a` equals `b`, NULL equal to NULL. */
  nullSafeEquals(a: string, b: string): string;
  /** Every column of the relation selected from but `column`. */
  allBut(column: string): string;
}
