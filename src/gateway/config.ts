import { readFile } from 'node:fs/promises';
import type { AlertsConfig } from '../budgets/alerts/alerts-config.js';
import { toBudget } from '../budgets/book/budget-book.js';
import type { Budget } from '../budgets/budget.js';
import type { CountersPolicy } from '../budgets/counters/guarded.js';
import { compileRateLimits, type RateLimitRule } from '../budgets/rate-limit.js';
import { type RunawayConfig, runawayConfigSchema } from '../budgets/runaway-config.js';
import { TokenledgerError } from '../errors.js';
import type { WalSync } from '../ledger/wal/segment-files.js';
import type { GpuPool } from '../sources/otlp/gpu-energy.js';
import { readYamlLines } from '../yaml-lines.js';
import { problemOf } from '../zod-problem.js';
import type { BalanceGroups } from './balance.js';
import { type ConfigFile, configSchema } from './config-schema.js';
import { modelGlob } from './model-glob.js';
import type { ApiType } from './providers/provider.js';

export interface Upstream {
  name: string;
  type: ApiType;
  /** What you would give the provider's SDK: OpenAI-style bases end in /v1, Anthropic's does not. */
  base_url: string;
  key_env: string | null;
  provider: string;
  models: readonly RegExp[];
  require_virtual_key: boolean;
  /** Send the provider key in Azure's `api-key` header instead of the wire format's own. */
  api_key_header: boolean;
  /** The region of an OpenAI data residency host (`eu.api.openai.com`: `eu`), its calls' `inference_geo`; else null. */
  inference_geo: string | null;
}

export interface GatewayConfig {
  host: string;
  port: number;
  body_limit_bytes: number;
  /** Days stored call text is kept (`server.content_retention_days`); null: until deleted. */
  content_retention_days: number | null;
  /** Days single calls are kept before only their daily sums are (`server.raw_retention_days`); null: kept. */
  raw_retention_days: number | null;
  upstreams: ReadonlyMap<string, Upstream>;
  aliases: Readonly<Record<string, string>>;
  /** Router files by the model name that calls them (`routers:`), as written: relative to the config file. */
  routers: Readonly<Record<string, string>>;
  fallbacks: Readonly<Record<string, readonly string[]>>;
  /** `models.balance`: each balanced model's targets and their weights, in the file's order. */
  balance: BalanceGroups;
  timeouts: { connect_ms: number; first_byte_ms: number; idle_ms: number };
  keys_required: boolean;
  /** The response cache (cache/open-cache.ts); null when the config has no `cache:`. */
  cache: { store: 'memory' | 'redis'; redis_url_env: string; ttl_ms: number; max_bytes: number } | null;
  wal: { sync: WalSync; drain_interval_ms: number };
  /** OTLP attribute keys per attribution field, from `otlp.attributes` (empty: the defaults only). */
  otlp_attributes: Readonly<Record<string, string | readonly string[]>>;
  /** GPUs whose energy counters the OTLP receiver takes, and the model each serves (`otlp.gpus`; none: no energy). */
  otlp_gpus: readonly GpuPool[];
  /** `budgets:` of the config file, validated (origin `config`). */
  budgets: readonly Budget[];
  counters: {
    store: 'memory' | 'redis';
    redis_url_env: string;
    on_unavailable: CountersPolicy;
    timeout_ms: number;
  };
  rate_limits: readonly RateLimitRule[];
  /** `alerts:` of the config file: webhooks (their URLs and secrets are read from the environment at start-up). */
  alerts: AlertsConfig | undefined;
  /** When a session is a runaway agent, and whether to block it. */
  runaway: RunawayConfig;
  /** `roi:` of the config file, paths as written (relative to it); null where the file has none. */
  roi: { repos: readonly string[]; ref: string; people: string | null } | null;
}

/** Command-line settings; they win over the file. */
export interface GatewayFlags {
  host?: string | undefined;
  port?: number | undefined;
  /** `NAME=BASE_URL`, repeatable. */
  upstream?: readonly string[] | undefined;
}

const DEFAULT_UPSTREAMS: Record<string, { type: ApiType; base_url: string; key_env: string }> = {
  openai: { type: 'openai', base_url: 'https://api.openai.com/v1', key_env: 'OPENAI_API_KEY' },
  anthropic: { type: 'anthropic', base_url: 'https://api.anthropic.com', key_env: 'ANTHROPIC_API_KEY' },
};

export async function readGatewayConfig(path: string | null, flags: GatewayFlags): Promise<GatewayConfig> {
  if (path === null) return resolveConfig({}, flags, '(no config file)');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new TokenledgerError(
      'CFG_NOT_FOUND',
      `${path}: cannot read the config file (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  const read = readYamlLines(text);
  if (!read.ok)
    throw new TokenledgerError('CFG_BAD_YAML', `${path}:${read.line}: not valid YAML: ${read.message}`);
  return resolveConfig(read.value, flags, path, read.lineOf);
}

/**
 * Validates a parsed config file, merges the flags over it and the defaults under both, and freezes the result.
 * Every problem is reported at once with its dot-path, and its `file:line` when `lineOf` knows the line. Pure.
 */
export function resolveConfig(
  raw: unknown,
  flags: GatewayFlags,
  where: string,
  lineOf: (path: readonly PropertyKey[]) => number | null = () => null,
): GatewayConfig {
  // reportInput: a missing key is told it is required (zod-problem.ts).
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const line = lineOf(i.path);
      return `  ${line === null ? '' : `${where}:${line}: `}${i.path.join('.') || '(top level)'}: ${problemOf(configSchema, i)}`;
    });
    throw new TokenledgerError(
      'CFG_INVALID',
      `${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.join('\n')}`,
    );
  }
  const f: ConfigFile = parsed.data;
  // Config budgets have no creation time of their own: they are in force from when the config was read.
  const loadedAt = new Date().toISOString();
  // A flag moves an upstream the defaults or the file define to another URL and keeps the rest as written (its
  // key, models, `auth`); what follows from the URL alone, as Azure's api-key header, follows from the new one.
  const defined = new Map<string, UpstreamDefinition>([
    ...Object.entries(DEFAULT_UPSTREAMS),
    ...Object.entries(f.upstreams ?? {}),
  ]);
  for (const spec of flags.upstream ?? []) {
    const [name, url] = splitUpstreamFlag(spec);
    const known = defined.get(name);
    const type: ApiType = known?.type ?? (name.includes('anthropic') ? 'anthropic' : 'openai');
    defined.set(name, { ...known, type, base_url: url });
  }
  const upstreams = new Map<string, Upstream>();
  for (const [name, d] of defined) upstreams.set(name, upstreamOf(name, d));
  return Object.freeze({
    host: flags.host ?? f.server?.host ?? '127.0.0.1',
    port: flags.port ?? f.server?.port ?? 8787,
    body_limit_bytes: Math.round((f.server?.body_limit_mb ?? 32) * 1024 * 1024),
    content_retention_days: f.server?.content_retention_days ?? null,
    raw_retention_days: f.server?.raw_retention_days ?? null,
    upstreams,
    aliases: Object.freeze({ ...f.models?.aliases }),
    routers: Object.freeze({ ...f.routers }),
    fallbacks: Object.freeze({ ...f.models?.fallbacks }),
    balance: Object.freeze(
      Object.fromEntries(
        Object.entries(f.models?.balance ?? {}).map(([model, targets]) => [
          model,
          Object.entries(targets).map(([target, weight]) => ({ model: target, weight })),
        ]),
      ),
    ),
    timeouts: {
      connect_ms: f.timeouts?.connect_ms ?? 10_000,
      first_byte_ms: f.timeouts?.first_byte_ms ?? 600_000,
      idle_ms: f.timeouts?.idle_ms ?? 300_000,
    },
    keys_required: f.keys?.required ?? false,
    cache:
      f.cache === undefined
        ? null
        : {
            store: f.cache.store ?? 'memory',
            redis_url_env: f.cache.redis_url_env ?? f.counters?.redis_url_env ?? 'TOKENLEDGER_REDIS_URL',
            ttl_ms: (f.cache.ttl_seconds ?? 3600) * 1000,
            max_bytes: Math.round((f.cache.max_mb ?? 64) * 1024 * 1024),
          },
    wal: { sync: f.wal?.sync ?? 'after_ack', drain_interval_ms: f.wal?.drain_interval_ms ?? 2000 },
    otlp_attributes: f.otlp?.attributes ?? {},
    otlp_gpus: (f.otlp?.gpus ?? []).map((g) => ({
      match: g.match,
      model: g.model,
      provider: g.provider ?? null,
    })),
    budgets: Object.entries(f.budgets ?? {}).map(([id, b]) => toBudget(b, id, 'config', loadedAt)),
    alerts: f.alerts,
    runaway: runawayConfigSchema.parse(f.runaway ?? {}),
    counters: {
      store: f.counters?.store ?? 'memory',
      redis_url_env: f.counters?.redis_url_env ?? 'TOKENLEDGER_REDIS_URL',
      on_unavailable: f.counters?.on_unavailable ?? 'fail-closed',
      timeout_ms: f.counters?.timeout_ms ?? 200,
    },
    rate_limits: compileRateLimits(f.rate_limits ?? []),
    roi:
      f.roi === undefined
        ? null
        : { repos: [...f.roi.repos], ref: f.roi.ref ?? 'HEAD', people: f.roi.people ?? null },
  });
}

function splitUpstreamFlag(spec: string): [string, string] {
  const eq = spec.indexOf('=');
  const name = spec.slice(0, eq).trim();
  const url = spec.slice(eq + 1).trim();
  if (eq <= 0 || !/^[a-z0-9][a-z0-9_-]*$/.test(name) || !URL.canParse(url) || !/^https?:/.test(url))
    throw new TokenledgerError(
      'CFG_BAD_UPSTREAM_FLAG',
      `--upstream ${JSON.stringify(spec)}: expected NAME=BASE_URL such as openai=http://127.0.0.1:8000/v1`,
    );
  return [name, url.replace(/\/+$/, '')];
}

/** An upstream as the defaults, the config file or a flag define it. */
interface UpstreamDefinition {
  type: ApiType;
  base_url: string;
  key_env?: string | null | undefined;
  provider?: string | undefined;
  models?: readonly string[] | undefined;
  require_virtual_key?: boolean | undefined;
  auth?: 'bearer' | 'api-key' | undefined;
  inference_geo?: string | undefined;
}

function upstreamOf(name: string, u: UpstreamDefinition): Upstream {
  return {
    name,
    type: u.type,
    base_url: u.base_url.replace(/\/+$/, ''),
    key_env: u.key_env ?? null,
    provider: u.provider ?? name,
    models: (u.models ?? []).map(modelGlob),
    require_virtual_key: u.require_virtual_key ?? false,
    api_key_header:
      u.type === 'openai' && (u.auth ?? (isAzureHost(u.base_url) ? 'api-key' : 'bearer')) === 'api-key',
    inference_geo: u.inference_geo ?? (u.type === 'openai' ? openaiRegion(u.base_url) : null),
  };
}

/**
 * The region of OpenAI's data residency endpoints (`https://eu.api.openai.com/v1`: `eu`), whose calls to models
 * released on or after 2026-03-05 cost 10% more (https://developers.openai.com/api/docs/guides/data-residency;
 * service-tiers.json `openai.inference_geo:*`); null for any other host.
 */
export function openaiRegion(baseUrl: string): string | null {
  return /^([a-z]{2,3})\.api\.openai\.com$/i.exec(new URL(baseUrl).hostname)?.[1]?.toLowerCase() ?? null;
}

/**
 * Azure OpenAI's hosts. Its deployment API takes a key only in `api-key` (Authorization is for Entra ID tokens) and
 * its v1 API takes `api-key` too, so a key for these hosts goes there unless the config says otherwise.
 * https://learn.microsoft.com/azure/ai-foundry/openai/reference#authentication
 */
function isAzureHost(baseUrl: string): boolean {
  return /\.(?:openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i.test(
    new URL(baseUrl).hostname,
  );
}
