/**
 * Query-string parameters of the API as zod schemas: the same objects validate requests and generate the OpenAPI
 * document (openapi.ts), so the two cannot drift. Values arrive as strings; repeatable ones as arrays.
 */
import { z } from 'zod';
import { setOwn } from '../../ledger/own-key.js';
import { PLAIN_DECIMAL } from '../../money/money.js';
import { BUCKETS } from '../../store/query.js';
import { problemOf } from '../../zod-problem.js';
import { badParam } from './api-error.js';

const TIME_HELP =
  'an age counted back from now (30d, 12h, 2w) or an ISO-8601 date/time, or epoch milliseconds';

export const since = z
  .string()
  .optional()
  .describe(`start of the range, inclusive: ${TIME_HELP}; default 30d`);
export const until = z.string().optional().describe(`end of the range, exclusive: ${TIME_HELP}; default now`);
const where = z
  .array(z.string())
  .optional()
  .describe(
    'DIM=VALUE, repeatable: the same dimension twice means either value, different dimensions must all match; ' +
      'DIM= selects events where the dimension is not set',
  );
export const dims = z
  .string()
  .optional()
  .describe(
    'comma-separated dimensions (see /api/dimensions): team, user, project, agent, model, tag.KEY, …',
  );
export const bucket = z
  .enum(BUCKETS)
  .optional()
  .describe('also group by time (buckets of the `tz` calendar, UTC by default; weeks start Monday)');
export const tz = z
  .string()
  .optional()
  .describe(
    'IANA time zone (Europe/Berlin, America/New_York) whose calendar dates and months in `since`/`until` are read in ' +
      "and buckets follow (a day bucket is a local day: 23 or 25 hours across DST; returned as the UTC instant it starts); default UTC. Days of another zone are read from the events, not the ledger's UTC daily rollups: slower on a large ledger",
  );
/**
 * A count (limit, top) from the query string, from `min` to `max`. Only decimal digits (a sign is let through so that
 * -1 is told the lower bound): z.coerce.number() runs Number(), which also reads `0x10`, `1e2`, ` 1` and an empty value
 * (0) as numbers, so a mistyped count was taken as another one instead of a 400 naming the parameter.
 */
export function countParam(min: number, max: number) {
  return z
    .string()
    .regex(/^-?\d+$/, { message: `expected a whole number from ${min} to ${max} in decimal digits` })
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

/**
 * A positive decimal such as 8 or 6.5 from the query string, up to `max`: digits with an optional fraction, for the
 * reason countParam gives (Number() would read `1e1` as 10, `0x10` as 16 and an empty value as 0).
 */
export function decimalParam(max: number) {
  return z
    .string()
    .regex(PLAIN_DECIMAL, {
      message: `expected a decimal number such as 8 or 6.5, above 0 and at most ${max}`,
    })
    .transform(Number)
    .pipe(z.number().positive().max(max));
}

export const top = countParam(1, 1000)
  .optional()
  .describe(
    'keep the N costliest groups over the range and fold the rest into one row whose dimension values read "other" ' +
      '(per bucket when bucketed); every row then carries `other`: true on that row, `other`: false on the rest, ' +
      'so a group really named "other" is told from it',
  );
export const format = z.enum(['json', 'csv']).optional().describe('response format; csv for download');

/** The range, its time zone and filters every data endpoint accepts. */
export const rangeParams = { since, until, tz, where };

export type RawQuery = Record<string, string | string[]>;

/** Parameters that may repeat; every other parameter given twice is a 400. */
const REPEATABLE = new Set(['where']);

export function readQuery(search: URLSearchParams): RawQuery {
  const out: RawQuery = {};
  // Own keys only: `in` sees Object's own names (constructor, toString), and `out.__proto__ = v` sets no key at all.
  for (const [k, v] of search) {
    if (REPEATABLE.has(k))
      setOwn<string | string[]>(out, k, [...((out[k] as string[] | undefined) ?? []), v]);
    else if (Object.hasOwn(out, k)) throw badParam(k, 'given more than once; give it once');
    else setOwn<string | string[]>(out, k, v);
  }
  return out;
}

/**
 * Validates raw query parameters against an endpoint's schema; the first problem becomes a 400 naming the parameter
 * and what it allows. Unknown parameters are refused too, so a typo never silently widens a query.
 */
export function parseParams<S extends z.ZodRawShape>(shape: S, raw: RawQuery): z.infer<z.ZodObject<S>> {
  for (const k of Object.keys(raw))
    if (!Object.hasOwn(shape, k))
      throw badParam(k, `unknown parameter; this endpoint takes ${Object.keys(shape).join(', ') || 'none'}`);
  const schema = z.object(shape);
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? '?');
  const desc = (shape[name] as z.ZodType | undefined)?.description;
  throw badParam(name, `${problemOf(schema, issue)}${desc ? ` (${desc})` : ''}`);
}
