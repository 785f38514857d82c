import { z } from 'zod';
import { alertsConfigSchema } from '../budgets/alerts/alerts-config.js';
import { budgetInputSchema } from '../budgets/budget.js';
import { COUNTERS_POLICIES } from '../budgets/counters/guarded.js';
import { rateLimitsSchema } from '../budgets/rate-limit.js';
import { runawayConfigSchema } from '../budgets/runaway-config.js';
import { WAL_SYNC } from '../ledger/wal/segment-files.js';

/** What a balanced target's weight must be. */
const SHARE = "expected a whole number of at least 1 (the target's share)";

/**
 * tokenledger.config.yaml as zod checks it. docs/gateway.md documents every key; keep the two in step. Provider keys
 * never appear in the file: an upstream names the environment variable that holds its key.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UPSTREAM_NAME = /^[a-z0-9][a-z0-9_-]*$/;

const baseUrl = z
  .string()
  .trim()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
    message: 'expected an http:// or https:// URL such as "https://api.openai.com/v1"',
  });

const upstream = z
  .object({
    type: z.enum(['openai', 'anthropic'], {
      message: 'expected "openai" (any OpenAI-compatible API) or "anthropic"',
    }),
    base_url: baseUrl,
    key_env: z
      .string()
      .regex(ENV_NAME, {
        message: 'expected the NAME of an environment variable (such as OPENAI_API_KEY), not a key',
      })
      .optional(),
    /** Provider id used for pricing (defaults to the type for openai/anthropic, else the upstream's name). */
    provider: z.string().trim().min(1).optional(),
    /** Model-name globs this upstream serves ("llama-*"); requests for them go here. */
    models: z.array(z.string().trim().min(1)).optional(),
    require_virtual_key: z.boolean().optional(),
    /**
     * How the provider key (key_env) is sent: `bearer` (Authorization: Bearer, OpenAI's way) or `api-key` (the
     * header Azure OpenAI's deployment API takes). Default: `api-key` for Azure hosts, else the wire format's own.
     */
    auth: z.enum(['bearer', 'api-key'], { message: 'expected "bearer" or "api-key"' }).optional(),
    /**
     * Where the upstream runs calls when that costs extra, for pricing: OpenAI's data residency region (`eu`, `us`…).
     * Default: read from an `<region>.api.openai.com` base URL; set it for a proxy in front of such a host.
     */
    inference_geo: z
      .string()
      .regex(/^[a-z]{2,3}$/, { message: 'expected a region such as "eu" or "us" (as in eu.api.openai.com)' })
      .optional(),
    // A key written into the file is refused with the way to do it instead (the message never repeats the value).
    ...Object.fromEntries(
      ['key', 'api_key', 'apiKey'].map((k) => [
        k,
        z
          .never({
            message:
              'provider keys never go in this file: put the key in an environment variable and name it with key_env',
          })
          .optional(),
      ]),
    ),
  })
  .strict();

/** The NAME of the environment variable that holds a Redis URL (which may hold a password). */
const redisUrlEnv = z
  .string()
  .regex(ENV_NAME, { message: 'expected the NAME of an environment variable holding redis://…, not the URL' })
  .optional();

const ms = z.number().int().positive({ message: 'expected a whole number of milliseconds greater than 0' });

const RETENTION = 'expected a whole number of days greater than 0';
/**
 * The least `server.raw_retention_days`: the dashboard's longest range, its last 90 days, then always starts at or
 * after the horizon, so every page of it reads the single calls its panels need (events, sessions' calls, the response
 * cache), not only the daily sums. The store itself retires no call under MIN_RETENTION_DAYS (store.ts) old.
 */
export const MIN_RAW_RETENTION_DAYS = 90;
const RAW_RETENTION = `expected a whole number of days, at least ${MIN_RAW_RETENTION_DAYS} (the dashboard's range)`;

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().trim().min(1).optional(),
        port: z.number().int().min(0).max(65535).optional(),
        body_limit_mb: z.number().positive().max(1024).optional(),
        /** Keep prompt and completion text? Never by default. */
        store_content: z
          .literal(false, { message: 'content storage is opt-in per virtual key only' })
          .optional(),
        /** Days the text of calls whose key keeps it is kept; unset: until deleted. */
        content_retention_days: z
          .number()
          .int({ message: RETENTION })
          .positive({ message: RETENTION })
          .optional(),
        /** Days single calls are kept on a ClickHouse ledger before only their daily sums are; unset: kept. */
        raw_retention_days: z
          .number()
          .int({ message: RAW_RETENTION })
          .min(MIN_RAW_RETENTION_DAYS, { message: RAW_RETENTION })
          .optional(),
      })
      .strict()
      .optional(),
    upstreams: z
      .record(
        z
          .string()
          .regex(UPSTREAM_NAME, { message: 'expected a lowercase name like "openai" or "local-vllm"' }),
        upstream,
      )
      .optional(),
    /**
     * Learned routers (docs/router.md) by the model name that calls them: a request for that model goes to the model
     * the router picks for its prompt. The value is a file `tokenledger route train` wrote, relative to this file.
     */
    routers: z.record(z.string().min(1), z.string().trim().min(1)).optional(),
    models: z
      .object({
        aliases: z.record(z.string().min(1), z.string().trim().min(1)).optional(),
        fallbacks: z.record(z.string().min(1), z.array(z.string().trim().min(1)).min(1)).optional(),
        /** A model's calls spread over targets by weight (balance.ts): `gpt-4o: {eu/gpt-4o: 3, us/gpt-4o: 1}`. */
        balance: z
          .record(
            z.string().min(1),
            z
              .record(z.string().trim().min(1), z.number().int({ message: SHARE }).min(1, { message: SHARE }))
              .refine((targets) => Object.keys(targets).length >= 2, {
                message: 'expected at least two targets to share the calls (a single one is an alias)',
              }),
          )
          .optional(),
      })
      .strict()
      .optional(),
    timeouts: z
      .object({ connect_ms: ms.optional(), first_byte_ms: ms.optional(), idle_ms: ms.optional() })
      .strict()
      .optional(),
    keys: z.object({ required: z.boolean().optional() }).strict().optional(),
    /** Answers served again to the same request (docs/gateway.md, Response cache); absent: none are. */
    cache: z
      .object({
        /** memory: this instance's; redis: every instance's, in the Redis of `redis_url_env`. */
        store: z
          .enum(['memory', 'redis'], {
            message: 'expected "memory" (this instance) or "redis" (every instance, through redis_url_env)',
          })
          .optional(),
        /** The Redis of store: redis; default counters.redis_url_env's. */
        redis_url_env: redisUrlEnv,
        ttl_seconds: z
          .number()
          .int({ message: 'expected a whole number of seconds greater than 0' })
          .positive({ message: 'expected a whole number of seconds greater than 0' })
          .optional(),
        max_mb: z.number().positive().max(65_536).optional(),
      })
      .strict()
      .refine((c) => c.store !== 'redis' || c.max_mb === undefined, {
        message: "max_mb is this instance's memory; with store: redis, Redis's maxmemory bounds the cache",
      })
      .refine((c) => c.store === 'redis' || c.redis_url_env === undefined, {
        message: 'redis_url_env names the Redis of store: redis; this cache is in memory',
      })
      .optional(),
    /** Budgets by id (docs/budgets.md); read-only to the CLI and API. */
    budgets: z
      .record(
        z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/, {
          message:
            'expected a budget id of letters, digits, "_", "-" or "." (up to 64), like "payments-monthly"',
        }),
        budgetInputSchema,
      )
      .optional(),
    /** Where budget and rate-limit counters live: this process, or Redis shared by every instance. */
    counters: z
      .object({
        store: z
          .enum(['memory', 'redis'], { message: 'expected "memory" (one instance) or "redis" (several)' })
          .optional(),
        redis_url_env: redisUrlEnv,
        on_unavailable: z
          .enum(COUNTERS_POLICIES, { message: 'expected "fail-closed" or "fail-open"' })
          .optional(),
        /** How long one Redis command may take before the call counts as an outage (default 200). */
        timeout_ms: z.number().int().min(10).max(60_000).optional(),
      })
      .strict()
      .optional(),
    rate_limits: rateLimitsSchema.optional(),
    /**
     * What the API's and the dashboard's ROI page read (docs/roi.md): git repositories, the branch whose first-parent
     * line is shipped work, and a people file; paths relative to this file. Only from here, never from a request, so
     * an API client cannot make the server read a folder of its choosing.
     */
    roi: z
      .object({
        repos: z.array(z.string().trim().min(1)).min(1),
        ref: z.string().trim().min(1).optional(),
        people: z.string().trim().min(1).optional(),
      })
      .strict()
      .optional(),
    alerts: alertsConfigSchema.optional(),
    runaway: runawayConfigSchema.optional(),
    wal: z
      .object({
        sync: z
          .enum(WAL_SYNC, {
            message: 'expected "after_ack", "before_ack" or "off" (docs/gateway.md, Durability)',
          })
          .optional(),
        drain_interval_ms: ms.optional(),
      })
      .strict()
      .optional(),
    otlp: z
      .object({
        // Which resource/record attribute gives each attribution field, e.g. {team: "team.id"} or
        // {team: ["team.id", "department"]}; the first present wins, before the defaults (docs/otel/README.md).
        attributes: z
          .record(
            z
              .string()
              .regex(
                /^(org|team|user|project|agent|session_id|task_id|environment|api_key_id|tags\.[\w.-]+)$/,
                {
                  message:
                    'expected an attribution field: org, team, user, project, agent, session_id, task_id, environment, api_key_id or tags.KEY',
                },
              ),
            z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
          )
          .optional(),
        // GPUs serving a model, by attributes their energy counters carry (docs/otel/gpu-energy.md).
        gpus: z
          .array(
            z
              .object({
                match: z.record(z.string().min(1), z.string()).refine((m) => Object.keys(m).length > 0, {
                  message: 'expected at least one attribute to match',
                }),
                model: z.string().min(1),
                provider: z.string().min(1).optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;
