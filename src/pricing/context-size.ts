/**
 * The input size a long-context tier is judged by. Providers bill a request above the threshold (Claude 200k,
 * GPT-5.4 272k input tokens) at the long-context rates, request by request. An event for one call is judged by its
 * own total input; an aggregate (a provider export's bucket, a day of Claude Code analytics, an OTLP metric sum)
 * adds up many calls, and judging the sum would bill a day of ordinary 5k-token requests at the long-context
 * rates (docs/pricing.md, "Long-context tiers").
 */
import { CONTEXT_INPUT_TAG, LONG_CONTEXT_TAG, type UnpricedEvent } from '../ledger/event.js';

/** Above every threshold a catalog lists. */
const ABOVE_ANY_THRESHOLD = Number.MAX_SAFE_INTEGER;

/** A context size as the tag holds it: a decimal integer (at most 15 digits, so exact as a number). */
const CONTEXT_SIZE = /^\d{1,15}$/;

/**
 * Input tokens of one request, for the tier choice: the tag when the source knows (which side of the threshold, or
 * the answer's own context when the event also counts work beside it: CONTEXT_INPUT_TAG); the event's total for one call;
 * the average per call for an aggregate with a request count (its calls are not known one by one); and 0 (base
 * rates) for an aggregate with no request count, where no per-call size can be told.
 */
export function contextInput(e: Pick<UnpricedEvent, 'requests' | 'tags'>, totalInput: number): number {
  const hint = e.tags[LONG_CONTEXT_TAG];
  if (hint === 'true') return ABOVE_ANY_THRESHOLD;
  if (hint === 'false') return 0;
  const size = e.tags[CONTEXT_INPUT_TAG];
  if (size !== undefined && CONTEXT_SIZE.test(size)) return Number(size);
  if (e.requests === 1) return totalInput;
  if (e.requests > 1) return Math.floor(totalInput / e.requests);
  return 0;
}
