/**
 * The usage event: one LLM call (or, for sources that only report aggregates, one aggregate record with a request
 * count). Every source normalises to this shape; every report, budget and export reads it. Field names are the
 * ledger's public schema (docs/ledger.md): snake_case, stable, never renamed.
 *
 * Token convention, whatever the source: `input_tokens` never includes cache reads or writes, and
 * `output_tokens` includes reasoning (so `reasoning_tokens` is a part of it, never added to it). Audio tokens are
 * parts in the same way: `input_audio_tokens` of `input_tokens`, `output_audio_tokens` of `output_tokens`, and so are
 * image tokens (`input_image_tokens`, `output_image_tokens`); audio and image parts never overlap.
 */

export const COST_SOURCES = ['computed', 'provider', 'estimated', 'unpriced'] as const;
export type CostSource = (typeof COST_SOURCES)[number];

export const STATUSES = ['ok', 'error', 'aborted'] as const;
export type Status = (typeof STATUSES)[number];

export const ENERGY_SOURCES = ['measured', 'estimated'] as const;
export type EnergySource = (typeof ENERGY_SOURCES)[number];

/**
 * Token counts of one event, and what is billed beside them (paid tool uses, audio duration). All are non-negative
 * integers.
 */
export interface Usage {
  requests: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /**
   * The audio tokens among `input_tokens` (never among cache reads), and among `output_tokens`: parts of those
   * counts, never added to them, priced at the model's audio rates where it has them (pricing/cost.ts). A source
   * that does not tell audio apart reports 0.
   */
  input_audio_tokens: number;
  output_audio_tokens: number;
  /**
   * The image tokens among `input_tokens` and `output_tokens` (the Images API's GPT image models report them):
   * parts as audio is, beside it, priced at the model's image rates where it has them. 0 where not told apart.
   */
  input_image_tokens: number;
  output_image_tokens: number;
  /**
   * Searches the provider's server-side web search tool ran for the call (Anthropic's
   * `usage.server_tool_use.web_search_requests`, the Responses API's `web_search_call` items). Not tokens: each is
   * billed a fee of its own (pricing/cost.ts), so it is never part of a token total.
   */
  web_search_requests: number;
  /**
   * Milliseconds of audio the call was billed for by its duration (a whisper-1 transcription: OpenAI's `usage.seconds`
   * × 1000), 0 for every call billed otherwise. Not tokens: like searches, it pays a fee of its own (pricing/cost.ts)
   * and is never part of a token total. Milliseconds because providers report seconds with fractions.
   */
  audio_ms: number;
}

/**
 * The effective rates an event was priced at, after long-context tier, batch or service tier and negotiated
 * discounts: integers at 18 fractional digits (see pricing/cost.ts for the exact formula). Kept with the event so
 * anyone can recompute its cost by hand; the store keeps each distinct rate card once.
 */
export interface RateCard {
  /** USD per 1M tokens, as are the four after it. */
  input: bigint;
  cache_read: bigint;
  cache_write_5m: bigint;
  cache_write_1h: bigint;
  output: bigint;
  /** USD per 1,000 web searches, as providers publish it (0 where no fee is charged: docs/pricing.md). */
  web_search: bigint;
  /**
   * USD per 1M audio tokens, input and output: the model's audio prices, or its text rates where the catalog lists
   * none (docs/pricing.md), so a card always prices every part.
   */
  input_audio: bigint;
  output_audio: bigint;
  /** USD per 1M image tokens, input and output: the model's image prices, or its text rates (as audio). */
  input_image: bigint;
  output_image: bigint;
  /**
   * USD per hour of audio billed by its duration (`audio_ms`): the catalog's `input_audio_hours`, else `audio_hours`,
   * else 0 (the model bills no audio by duration: such audio cannot be priced, docs/pricing.md).
   */
  audio_hour: bigint;
}

/** The rates of a card in their canonical order (the log's records and the store's rate_cards use it). */
export const RATE_FIELDS = [
  'input',
  'cache_read',
  'cache_write_5m',
  'cache_write_1h',
  'output',
  'web_search',
  'input_audio',
  'output_audio',
  'input_image',
  'output_image',
  'audio_hour',
] as const satisfies readonly (keyof RateCard)[];

/** Cost of one event in pico-dollars (see money/money.ts). Null when the event is unpriced. */
export interface Cost {
  /**
   * The whole cost: the four parts, plus the web search fee (web_search_requests × rates.web_search) where one is
   * charged and the audio duration fee (audio_ms × rates.audio_hour). The fees have no part of their own: they are
   * cost_usd beyond the sum of the parts (docs/pricing.md).
   */
  cost_usd: bigint | null;
  cost_input: bigint | null;
  cost_cache_read: bigint | null;
  /** 5-minute and 1-hour cache writes together. */
  cost_cache_write: bigint | null;
  cost_output: bigint | null;
  cost_source: CostSource;
  /** Catalog version plus a hash of the overrides in force when the cost was computed. */
  price_version: string | null;
  /** The rates the parts were computed from; null when the cost was given (provider) or the event is unpriced. */
  rates: RateCard | null;
  /** What the provider (or the agent's own log) said the call cost, kept beside ours for reconciliation. */
  provider_cost_usd: bigint | null;
}

/**
 * Tag an aggregate event carries when its source knows which side of the long-context threshold its calls were on
 * ("true" / "false"; Anthropic's `context_window` group). Pricing reads it (pricing/context-size.ts); it is a tag, not
 * a column, so that a reprice reads it back from the ledger.
 */
export const LONG_CONTEXT_TAG = 'long_context';

/**
 * Tag a one-call event carries when its tokens include work beside the answer's own context, so that the
 * long-context tier must not be judged by their sum: the input tokens (cache included) of the answer itself, a
 * decimal integer. The gateway sets it for an Anthropic call that compacted its context (the compaction's sampling
 * is billed but reported apart, in usage.iterations). Pricing reads it (pricing/context-size.ts); a tag, like
 * LONG_CONTEXT_TAG, so that a reprice reads it back.
 */
export const CONTEXT_INPUT_TAG = 'context_input_tokens';

/**
 * Tag naming where a call ran when that costs extra (Anthropic's `inference_geo` `us`: pricing/service-tiers.ts,
 * GEO_PREFIX). A tag, like LONG_CONTEXT_TAG, so that a reprice reads it back.
 */
export const INFERENCE_GEO_TAG = 'inference_geo';

/**
 * Tag naming the web search tool a call searched with, when its provider prices that tool apart from its current one
 * (OpenAI's `web_search_preview`: $25 per 1,000 calls on gpt-4o and gpt-4.1, pricing/web-search.ts). A tag, like
 * INFERENCE_GEO_TAG, so that a reprice reads it back; absent, the provider's current tool's price applies.
 */
export const WEB_SEARCH_TOOL_TAG = 'web_search_tool';

/**
 * Tag the gateway puts on every call its response cache looked up (gateway/cache/response-cache.ts): `hit` (answered from
 * the cache) or `miss` (sent upstream). Two values only: tags are part of an event's context.
 */
export const GATEWAY_CACHE_TAG = 'gateway_cache';

/**
 * Tag the gateway puts on a balanced model's calls (gateway/balance.ts): the upstream that served the call (an account,
 * a region), which `provider` does not say when several upstreams price as one provider. A report by
 * `tag.gateway_upstream` gives each account's spend. As few values as the config has upstreams.
 */
export const GATEWAY_UPSTREAM_TAG = 'gateway_upstream';

/**
 * A hit's source_ref starts so, followed by the id of the event it was answered from: per event, not a tag, as each
 * answer's id would be a context of its own.
 */
export const CACHED_REF_PREFIX = 'cache:';

/**
 * The tags pricing reads. They state facts of the call that only its source knows (the answer's context, where it
 * ran, which search tool), so a caller's own tags (the gateway's `x-tokenledger-tags` and OpenAI's `metadata`) never
 * set them: `long_context=false` would price a 300k-token call at the base rates.
 */
export const PRICING_TAGS: ReadonlySet<string> = new Set([
  LONG_CONTEXT_TAG,
  CONTEXT_INPUT_TAG,
  INFERENCE_GEO_TAG,
  WEB_SEARCH_TOOL_TAG,
]);

export interface Attribution {
  org: string | null;
  team: string | null;
  user: string | null;
  project: string | null;
  agent: string | null;
  session_id: string | null;
  task_id: string | null;
  environment: string | null;
  api_key_id: string | null;
  tags: Record<string, string>;
}

export interface UsageEvent extends Usage, Cost, Attribution {
  /** Deterministic from the source's own identity of the record (ledger/event-id.ts). */
  event_id: string;
  source: string;
  /** Where the record came from: file:line, request id. */
  source_ref: string | null;
  /** Epoch microseconds, UTC. */
  ingested_at: number;
  /** Call start, epoch microseconds, UTC. */
  ts: number;
  duration_ms: number | null;
  ttft_ms: number | null;
  provider: string | null;
  /** Canonical model id (pricing/canonical.ts). */
  model: string;
  /** The model name as the caller or the log wrote it. */
  model_requested: string | null;
  operation: string | null;
  /** default, batch, flex, priority, scale …; `batch` selects batch pricing. */
  service_tier: string | null;
  route_id: string | null;
  energy_j: number | null;
  energy_source: EnergySource | null;
  status: Status;
  error_type: string | null;
}

/** A cost a record carried itself (canonical imports, provider exports): kept as is, never recomputed. */
interface GivenCost {
  cost_usd: bigint;
  cost_input: bigint | null;
  cost_cache_read: bigint | null;
  cost_cache_write: bigint | null;
  cost_output: bigint | null;
  /** `provider` unless the record says otherwise (an exported ledger says `computed`). */
  cost_source: CostSource;
  price_version: string | null;
}

/** An event as a source produces it: everything but the cost, which the pricing engine fills in. */
export type UnpricedEvent = Omit<UsageEvent, keyof Cost> & {
  provider_cost_usd?: bigint | null;
  given_cost?: GivenCost | null;
};

export const USAGE_FIELDS = [
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'web_search_requests',
  'input_audio_tokens',
  'output_audio_tokens',
  'input_image_tokens',
  'output_image_tokens',
  'audio_ms',
] as const satisfies readonly (keyof Usage)[];

/**
 * The usage fields that count tokens (what `totalTokens` adds; reasoning, audio and images are parts of them): not
 * requests, not searches, not audio milliseconds.
 */
export const TOKEN_FIELDS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
] as const satisfies readonly (keyof Usage)[];

export const COST_FIELDS = [
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
] as const satisfies readonly (keyof Cost)[];

export const ATTRIBUTION_FIELDS = [
  'org',
  'team',
  'user',
  'project',
  'agent',
  'session_id',
  'task_id',
  'environment',
  'api_key_id',
] as const satisfies readonly (keyof Attribution)[];

/** Every column of the ledger in its canonical order (exports, docs and the store use this order). */
export const EVENT_FIELDS = [
  'event_id',
  'source',
  'source_ref',
  'ingested_at',
  'ts',
  'duration_ms',
  'ttft_ms',
  ...ATTRIBUTION_FIELDS,
  'tags',
  'provider',
  'model',
  'model_requested',
  'operation',
  'service_tier',
  'route_id',
  ...USAGE_FIELDS,
  ...COST_FIELDS,
  'cost_source',
  'price_version',
  'provider_cost_usd',
  'energy_j',
  'energy_source',
  'status',
  'error_type',
] as const satisfies readonly (keyof UsageEvent)[];

/** Sum of every token kind of an event (reasoning is inside output, so it is not added again). */
export function totalTokens(u: Usage): number {
  return (
    u.input_tokens + u.cache_read_tokens + u.cache_write_5m_tokens + u.cache_write_1h_tokens + u.output_tokens
  );
}

/** Attribution with every field empty: sources spread their own values over it. */
export function emptyAttribution(): Attribution {
  return {
    org: null,
    team: null,
    user: null,
    project: null,
    agent: null,
    session_id: null,
    task_id: null,
    environment: null,
    api_key_id: null,
    tags: {},
  };
}

/** Usage of nothing: no call, no token, no fee (a record that is no call, as a window of GPU energy). */
export function emptyUsage(): Usage {
  return Object.fromEntries(USAGE_FIELDS.map((f) => [f, 0])) as unknown as Usage;
}
