import type { UnpricedEvent } from '../../ledger/event.js';
import { parseUsd } from '../../money/money.js';
import { isObject, isProblem, type LineProblem, SKIP_CODES, tokenCount } from '../json-line.js';

type TokenFields = Pick<
  UnpricedEvent,
  | 'input_tokens'
  | 'cache_read_tokens'
  | 'cache_write_5m_tokens'
  | 'cache_write_1h_tokens'
  | 'output_tokens'
  | 'reasoning_tokens'
>;

export interface PiTokens {
  tokens: TokenFields;
  /** Facts about the counts worth keeping beside them (reported_total, pi_input_had_cache_read). */
  tags: Record<string, string>;
  /** `usage.cost.total` when pi priced the call above zero, in pico-dollars. */
  cost: bigint | null;
}

/**
 * pi's `Usage` (badlogic/pi-mono packages/ai/src/types.ts): `input`, `output`, `cacheRead`, `cacheWrite`,
 * `totalTokens`, `cost{input, output, cacheRead, cacheWrite, total}`, and in newer versions `cacheWrite1h` (the part
 * of `cacheWrite` written with the one-hour lifetime, Anthropic only) and `reasoning` (the part of `output` that was
 * reasoning, when the provider says). Every provider adapter of pi-ai normalises to one convention, which is the
 * ledger's: `input` excludes cache reads and writes (Anthropic reports it so; the OpenAI and Google adapters subtract
 * `cached_tokens` / `cachedContentTokenCount` from the prompt count), `output` includes reasoning.
 *
 * One exception is undone: pi's `google-generative-ai` adapter once left cached tokens in `input` while also
 * reporting them as `cacheRead` (pi-mono discussion #1487), so such a record's `totalTokens` (Google's
 * totalTokenCount) is `input + output`. A record whose total says exactly that, with cache reads that fit in its
 * input, has them taken out of `input` and is tagged `pi_input_had_cache_read`. Other totals that disagree with the
 * parts are kept visible as `reported_total`, the counts left as written.
 */
export function readPiUsage(u: unknown): PiTokens | LineProblem {
  if (!isObject(u)) return { code: SKIP_CODES.badRecord, reason: 'message.usage: expected an object' };
  const input = tokenCount(u.input, 'message.usage.input');
  if (isProblem(input)) return input;
  const output = tokenCount(u.output, 'message.usage.output');
  if (isProblem(output)) return output;
  const cacheRead = tokenCount(u.cacheRead, 'message.usage.cacheRead', 0);
  if (isProblem(cacheRead)) return cacheRead;
  const cacheWrite = tokenCount(u.cacheWrite, 'message.usage.cacheWrite', 0);
  if (isProblem(cacheWrite)) return cacheWrite;
  const write1h = tokenCount(u.cacheWrite1h, 'message.usage.cacheWrite1h', 0);
  if (isProblem(write1h)) return write1h;
  const reasoning = tokenCount(u.reasoning, 'message.usage.reasoning', 0);
  if (isProblem(reasoning)) return reasoning;
  const total = tokenCount(u.totalTokens, 'message.usage.totalTokens', 0);
  if (isProblem(total)) return total;
  const sum = input + output + cacheRead + cacheWrite;
  if (sum > Number.MAX_SAFE_INTEGER) {
    return { code: SKIP_CODES.numberTooLarge, reason: `message.usage: token total ${sum} is beyond 2^53` };
  }
  if (write1h > cacheWrite) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `message.usage.cacheWrite1h (${write1h}) exceeds cacheWrite (${cacheWrite})`,
    };
  }
  const tags: Record<string, string> = {};
  let uncached = input;
  if (cacheRead > 0 && cacheRead <= input && total === input + output + cacheWrite) {
    uncached = input - cacheRead;
    tags.pi_input_had_cache_read = 'true';
  } else if (total !== 0 && total !== sum) tags.reported_total = String(total);
  return {
    tokens: {
      input_tokens: uncached,
      cache_read_tokens: cacheRead,
      cache_write_5m_tokens: cacheWrite - write1h,
      cache_write_1h_tokens: write1h,
      output_tokens: output,
      // A part of output, never more than it.
      reasoning_tokens: Math.min(reasoning, output),
    },
    tags,
    cost: costOf(isObject(u.cost) ? u.cost.total : undefined),
  };
}

/**
 * `cost.total` is pi's own estimate (pi-ai models.ts `calculateCost`: the counts times its model table's rates, with
 * OpenAI's service-tier multiplier where it applies), not a bill; kept as the agent-reported cost beside ours. A zero
 * is pi not knowing the price (custom and subscription models carry zero rates), so it is not kept as a price.
 */
function costOf(v: unknown): bigint | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return null;
  try {
    return parseUsd(v);
  } catch {
    return null;
  }
}
