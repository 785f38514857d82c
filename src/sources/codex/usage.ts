import type { Usage } from '../../ledger/event.js';
import { isObject, isProblem, type LineProblem, SKIP_CODES, tokenCount } from '../json-line.js';

/**
 * One Codex usage object (`last_token_usage` or `total_token_usage`). In Codex's counting `input_tokens` includes
 * the cached ones and the ones written to the cache, and `output_tokens` includes reasoning; `total_tokens` is
 * input + output.
 */
export interface CodexUsage {
  input: number;
  cached: number;
  /**
   * `cache_write_input_tokens`: input written to the prompt cache, copied from the Responses API's
   * `input_tokens_details.cache_write_tokens` (billed at 1.25x input from GPT-5.6 on). 0 when absent (older Codex).
   */
  cacheWrite: number;
  output: number;
  reasoning: number;
  total: number;
}

export function readCodexUsage(v: unknown, field: string): CodexUsage | LineProblem | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) return { code: SKIP_CODES.badRecord, reason: `${field}: expected an object` };
  const input = tokenCount(v.input_tokens, `${field}.input_tokens`);
  if (isProblem(input)) return input;
  // Some builds wrote the Anthropic-style name; both mean "input tokens served from the cache".
  const cached = tokenCount(
    v.cached_input_tokens ?? v.cache_read_input_tokens,
    `${field}.cached_input_tokens`,
    0,
  );
  if (isProblem(cached)) return cached;
  const cacheWrite = tokenCount(v.cache_write_input_tokens, `${field}.cache_write_input_tokens`, 0);
  if (isProblem(cacheWrite)) return cacheWrite;
  const output = tokenCount(v.output_tokens, `${field}.output_tokens`);
  if (isProblem(output)) return output;
  const reasoning = tokenCount(v.reasoning_output_tokens, `${field}.reasoning_output_tokens`, 0);
  if (isProblem(reasoning)) return reasoning;
  const total = tokenCount(v.total_tokens, `${field}.total_tokens`, input + output);
  if (isProblem(total)) return total;
  return { input, cached, cacheWrite, output, reasoning, total };
}

export function sameUsage(a: CodexUsage, b: CodexUsage): boolean {
  return (
    a.input === b.input &&
    a.cached === b.cached &&
    a.cacheWrite === b.cacheWrite &&
    a.output === b.output &&
    a.reasoning === b.reasoning &&
    a.total === b.total
  );
}

/** The turn's usage from two successive cumulative totals; a total that went down is a problem, not a negative. */
export function usageDelta(
  current: CodexUsage,
  previous: CodexUsage | null,
  field: string,
): CodexUsage | LineProblem {
  if (!previous) return current;
  const d: CodexUsage = {
    input: current.input - previous.input,
    cached: current.cached - previous.cached,
    cacheWrite: current.cacheWrite - previous.cacheWrite,
    output: current.output - previous.output,
    reasoning: current.reasoning - previous.reasoning,
    total: current.total - previous.total,
  };
  for (const [k, n] of Object.entries(d)) {
    if (n < 0) {
      return {
        code: SKIP_CODES.badRecord,
        reason: `${field}: cumulative ${k} went down from the previous token_count line (by ${-n})`,
      };
    }
  }
  return d;
}

/** Splits Codex's counts into the ledger's convention, or says why they are inconsistent. */
export type LedgerTokens = Pick<
  Usage,
  | 'input_tokens'
  | 'cache_read_tokens'
  | 'cache_write_5m_tokens'
  | 'cache_write_1h_tokens'
  | 'output_tokens'
  | 'reasoning_tokens'
>;

export function toLedgerTokens(u: CodexUsage, field: string): LedgerTokens | LineProblem {
  if (u.cached > u.input) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${field}: cached_input_tokens (${u.cached}) exceeds input_tokens (${u.input})`,
    };
  }
  if (u.cached + u.cacheWrite > u.input) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${field}: cached_input_tokens (${u.cached}) + cache_write_input_tokens (${u.cacheWrite}) exceed input_tokens (${u.input})`,
    };
  }
  if (u.reasoning > u.output) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${field}: reasoning_output_tokens (${u.reasoning}) exceeds output_tokens (${u.output})`,
    };
  }
  return {
    input_tokens: u.input - u.cached - u.cacheWrite,
    cache_read_tokens: u.cached,
    // OpenAI names no cache lifetime for these writes; the 5-minute field holds them (docs/sources/codex.md).
    cache_write_5m_tokens: u.cacheWrite,
    cache_write_1h_tokens: 0,
    output_tokens: u.output,
    reasoning_tokens: u.reasoning,
  };
}
