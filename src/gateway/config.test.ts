import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readYamlLines } from '../yaml-lines.js';
import { openResponseCache } from './cache/open-cache.js';
import { readGatewayConfig, resolveConfig } from './config.js';

/** The problems of a config file's text, as readGatewayConfig reports them (with their lines). */
const problems = (yaml: string): string => {
  const read = readYamlLines(yaml);
  if (!read.ok) throw new Error(`not YAML: ${read.message}`);
  try {
    resolveConfig(read.value, {}, 'tokenledger.config.yaml', read.lineOf);
  } catch (e) {
    expect((e as { code: string }).code).toBe('CFG_INVALID');
    return (e as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('tokenledger.config.yaml', () => {
  it('names every wrong key with what is allowed, in one error', () => {
    const m = problems(`
upstreams:
  vllm: { type: openai, base_url: "localhost:8000", key_env: "sk-live-abc123" }
  openai: { type: openai, base_url: "https://api.openai.com/v1", api_key: "sk-live-def456" }
budgets:
  cap: { scope: { squad: x }, period: fortnightly, limit_usd: -3, action: downgrade }
rate_limits:
  - { per: team }
counters: { store: memcached }
runaway: { max_usd: zero, block: "yes" }
alerts:
  webhooks: [{ url: "https://x.example/h", url_env: HOOK, format: teams }]
wal: { sync: true }
otlp: { attributes: { squad: team.name } }
`);
    expect(m).toMatch(/^tokenledger\.config\.yaml has 14 problems:\n/);
    for (const part of [
      'upstreams.vllm.base_url: expected an http:// or https:// URL',
      'upstreams.vllm.key_env: expected the NAME of an environment variable',
      'upstreams.openai.api_key: provider keys never go in this file: put the key in an environment variable and name it with key_env',
      'budgets.cap.scope.squad: expected a scope dimension',
      'otlp.attributes.squad: expected an attribution field: org, team, user,',
      'budgets.cap.period: expected daily, weekly, monthly or rolling:Nd',
      'budgets.cap.limit_usd: expected a positive USD amount',
      'budgets.cap.downgrade_to: a downgrade budget needs downgrade_to',
      'rate_limits.0: a rate limit needs rpm (requests per minute), tpm (tokens per minute) or both',
      'counters.store: expected "memory" (one instance) or "redis" (several)',
      'runaway.max_usd: expected a positive USD amount',
      'runaway.block:',
      'alerts.webhooks.0.format: expected "slack" or "json"',
      'wal.sync: expected "after_ack", "before_ack" or "off"',
    ])
      expect(m).toContain(part);
    // A provider key pasted into the file is never echoed back.
    expect(m).not.toContain('sk-live-abc123');
    expect(m).not.toContain('sk-live-def456');
  });

  it('takes GPU pools for energy telemetry, and names an entry that matches nothing or serves no model', () => {
    const read = readYamlLines(
      'otlp:\n  gpus:\n    - { match: { host.name: gpu-1 }, model: llama-3.1-70b }\n',
    );
    if (!read.ok) throw new Error(read.message);
    expect(resolveConfig(read.value, {}, 'tokenledger.config.yaml', read.lineOf).otlp_gpus).toEqual([
      { match: { 'host.name': 'gpu-1' }, model: 'llama-3.1-70b', provider: null },
    ]);
    const m = problems(
      'otlp:\n  gpus:\n    - { match: {}, model: llama }\n    - { match: { UUID: GPU-1 } }\n',
    );
    expect(m).toContain('otlp.gpus.0.match: expected at least one attribute to match');
    expect(m).toContain('otlp.gpus.1.model: required (a string)');
  });

  it('tells an unknown key which keys are allowed beside it, and a missing one that it is required', () => {
    const m = problems(`
server: { prot: 8080 }
upstreams:
  local: { type: openai, base-url: "http://127.0.0.1:8000/v1" }
timeouts: { connect: 5, idle: 1 }
`);
    expect(m).toContain(
      'server: unknown key "prot"; allowed here: host, port, body_limit_mb, store_content, content_retention_days, raw_retention_days',
    );
    // Inside a map of upstreams; the keys that exist only to refuse a pasted provider key are not offered.
    expect(m).toContain(
      'upstreams.local: unknown key "base-url" (did you mean "base_url"?); allowed here: type, base_url, key_env, provider, models, require_virtual_key, auth',
    );
    expect(m).toContain('upstreams.local.base_url: required (a string)');
    expect(m).toContain(
      'timeouts: unknown keys "connect", "idle"; allowed here: connect_ms, first_byte_ms, idle_ms',
    );
  });

  it('puts each problem at its file:line, and says what a value should be in words', async () => {
    const m = problems(`server:
  host: 127.0.0.1
  port: 99999
models:
  fallbacks: { gpt-4o: gpt-4o-mini }
timeouts: { connect_ms: "10s", idle_ms: 0 }
budgets:
  cap: { scope: { team: web }, limit_usd: 5 }
`);
    expect(m.split('\n')).toEqual([
      'tokenledger.config.yaml has 5 problems:',
      '  tokenledger.config.yaml:3: server.port: must be at most 65535',
      '  tokenledger.config.yaml:5: models.fallbacks.gpt-4o: expected a list, got a string',
      '  tokenledger.config.yaml:6: timeouts.connect_ms: expected a number, got a string',
      // The schema's own words where it has them.
      '  tokenledger.config.yaml:6: timeouts.idle_ms: expected a whole number of milliseconds greater than 0',
      // A missing key is at the line of the entry that lacks it.
      '  tokenledger.config.yaml:8: budgets.cap.period: required: daily, weekly, monthly or rolling:Nd (N from 1 to 999)',
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'tl-config-'));
    try {
      const file = join(dir, 'tokenledger.config.yaml');
      await writeFile(file, 'server:\n  port: 8080\nupstreams: [a, b\n');
      await expect(readGatewayConfig(file, {})).rejects.toMatchObject({
        code: 'CFG_BAD_YAML',
        message: expect.stringMatching(new RegExp(`^${file}:4: not valid YAML: \\S`)),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps stored call text until deleted unless given whole days, and never turns storing on server-wide', () => {
    expect(resolveConfig({}, {}, 'x').content_retention_days).toBeNull();
    expect(
      resolveConfig(parse('server: { content_retention_days: 30 }'), {}, 'x').content_retention_days,
    ).toBe(30);
    const m = problems('server: { content_retention_days: 0.5, store_content: true }');
    expect(m).toContain('server.content_retention_days: expected a whole number');
    expect(m).toContain('server.store_content: content storage is opt-in per virtual key only');
  });

  it("keeps every call unless given whole days, at least the dashboard's longest range", () => {
    expect(resolveConfig({}, {}, 'x').raw_retention_days).toBeNull();
    expect(resolveConfig(parse('server: { raw_retention_days: 400 }'), {}, 'x').raw_retention_days).toBe(400);
    expect(resolveConfig(parse('server: { raw_retention_days: 90 }'), {}, 'x').raw_retention_days).toBe(90);
    for (const days of [7, 30, 89])
      expect(problems(`server: { raw_retention_days: ${days} }`)).toContain(
        "server.raw_retention_days: expected a whole number of days, at least 90 (the dashboard's range)",
      );
  });

  it("reads a balanced model's targets with their weights in the file's order, and names a wrong one", () => {
    expect(resolveConfig({}, {}, 'x').balance).toEqual({});
    const cfg = resolveConfig(
      parse('models:\n  balance: { gpt-4o: { eu/gpt-4o: 3, us/gpt-4o: 1 } }'),
      {},
      'x',
    );
    expect(cfg.balance).toEqual({
      'gpt-4o': [
        { model: 'eu/gpt-4o', weight: 3 },
        { model: 'us/gpt-4o', weight: 1 },
      ],
    });
    const m = problems(
      'models:\n  balance:\n    gpt-4o: { eu/gpt-4o: 0.5, us/gpt-4o: 1 }\n    fast: { a: 1 }\n',
    );
    expect(m).toContain(
      "tokenledger.config.yaml:3: models.balance.gpt-4o.eu/gpt-4o: expected a whole number of at least 1 (the target's share)",
    );
    expect(m).toContain(
      'tokenledger.config.yaml:4: models.balance.fast: expected at least two targets to share the calls (a single one is an alias)',
    );
  });

  it('caches no answers without `cache:`, and an hour of them in 64 MB with it', () => {
    expect(resolveConfig({}, {}, 'x').cache).toBeNull();
    expect(resolveConfig(parse('cache: {}'), {}, 'x').cache).toEqual({
      store: 'memory',
      redis_url_env: 'TOKENLEDGER_REDIS_URL',
      ttl_ms: 3_600_000,
      max_bytes: 64 * 1024 * 1024,
    });
    expect(resolveConfig(parse('cache: { ttl_seconds: 60, max_mb: 0.5 }'), {}, 'x').cache).toEqual({
      store: 'memory',
      redis_url_env: 'TOKENLEDGER_REDIS_URL',
      ttl_ms: 60_000,
      max_bytes: 512 * 1024,
    });
    const m = problems('cache: { ttl_seconds: 1.5, max_mb: 0, store: disk }');
    expect(m).toContain('cache.ttl_seconds: expected a whole number of seconds greater than 0');
    expect(m).toContain('cache.max_mb: must be more than 0');
    expect(m).toContain('cache.store: expected "memory" (this instance) or "redis"');
    expect(problems('cache: { store: redis, max_mb: 64 }')).toContain(
      "cache: max_mb is this instance's memory; with store: redis, Redis's maxmemory bounds the cache",
    );
    expect(problems('cache: { redis_url_env: CACHE_REDIS }')).toContain(
      'cache: redis_url_env names the Redis of store: redis; this cache is in memory',
    );
  });

  it("keeps a Redis cache in the counters' Redis unless it names its own, and refuses one without its URL", async () => {
    const counters = resolveConfig(
      parse('{ cache: { store: redis }, counters: { redis_url_env: R1 } }'),
      {},
      'x',
    );
    expect(counters.cache?.redis_url_env).toBe('R1');
    const own = resolveConfig(
      parse('{ cache: { store: redis, redis_url_env: R2 }, counters: { redis_url_env: R1 } }'),
      {},
      'x',
    );
    expect(own.cache?.redis_url_env).toBe('R2');
    await expect(openResponseCache(own, { R1: 'redis://127.0.0.1:1' }, () => {})).rejects.toMatchObject({
      code: 'CFG_INVALID',
      message: expect.stringContaining(
        'cache.store is redis but the environment variable R2 (cache.redis_url_env) is not set',
      ),
    });
  });

  it('syncs the write-ahead log after each acknowledgement unless told otherwise', () => {
    expect(resolveConfig({}, {}, 'test').wal).toEqual({ sync: 'after_ack', drain_interval_ms: 2000 });
    expect(resolveConfig(parse('wal: { sync: before_ack }'), {}, 'test').wal.sync).toBe('before_ack');
  });

  it('reads budgets, counters, rate limits, runaway and alerts with their defaults', () => {
    const c = resolveConfig(
      parse(`
budgets:
  payments-monthly: { scope: { team: payments }, period: monthly, limit_usd: 500, action: block, tz: Europe/Berlin }
rate_limits: [{ per: api_key_id, rpm: 60 }]
runaway: { block: true }
`),
      {},
      'test',
    );
    expect(c.budgets).toMatchObject([
      {
        id: 'payments-monthly',
        origin: 'config',
        scope: { team: 'payments' },
        period: { kind: 'monthly' },
        tz: 'Europe/Berlin',
        limit_usd: '500',
        thresholds: [50, 80, 100],
      },
    ]);
    expect(c.counters).toEqual({
      store: 'memory',
      redis_url_env: 'TOKENLEDGER_REDIS_URL',
      on_unavailable: 'fail-closed',
      timeout_ms: 200,
    });
    expect(c.rate_limits).toMatchObject([{ per: 'api_key_id', rpm: 60, tpm: null }]);
    expect(c.runaway).toEqual({
      max_usd: '20',
      window_minutes: 10,
      loop_repeats: 12,
      block: true,
      block_minutes: 30,
    });
  });

  it("sends the provider key in Azure's api-key header for Azure hosts, or when auth says so", () => {
    const c = resolveConfig(
      parse(`
upstreams:
  azure: { type: openai, base_url: "https://acme.openai.azure.com/openai/v1" }
  foundry: { type: openai, base_url: "https://acme.services.ai.azure.com/openai/v1", auth: bearer }
  proxied-azure: { type: openai, base_url: "https://llm.acme.internal/openai/v1", auth: api-key }
  vllm: { type: openai, base_url: "http://127.0.0.1:8000/v1" }
`),
      {},
      'test',
    );
    const header = (n: string) => c.upstreams.get(n)!.api_key_header;
    expect([header('azure'), header('foundry'), header('proxied-azure'), header('vllm')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(header('openai')).toBe(false);
  });

  it("takes an upstream's region from an OpenAI data residency host, or from inference_geo behind a proxy", () => {
    const c = resolveConfig(
      parse(`
upstreams:
  openai-eu: { type: openai, base_url: "https://eu.api.openai.com/v1" }
  openai-us: { type: openai, base_url: "https://US.api.openai.com/v1" }
  egress: { type: openai, base_url: "https://llm.acme.internal/v1", inference_geo: jp }
  vllm: { type: openai, base_url: "http://eu.api.openai.com.example:8000/v1" }
`),
      {},
      'test',
    );
    const geo = (n: string) => c.upstreams.get(n)!.inference_geo;
    expect(['openai-eu', 'openai-us', 'egress', 'vllm', 'openai', 'anthropic'].map(geo)).toEqual([
      'eu',
      'us',
      'jp',
      null,
      null,
      null,
    ]);
    expect(() =>
      resolveConfig(
        parse('upstreams: { x: { type: openai, base_url: "https://a.b/v1", inference_geo: EU-1 } }'),
        {},
        'test',
      ),
    ).toThrow(/inference_geo.*region such as "eu"/);
  });

  it('--upstream moves a defined upstream to another URL and keeps the rest as written', () => {
    const c = resolveConfig(
      parse(`
upstreams:
  proxied-azure: { type: openai, base_url: "https://llm.acme.internal/openai/v1", key_env: AZ_KEY, auth: api-key, models: ["gpt-*"] }
  azure: { type: openai, base_url: "https://acme.openai.azure.com/openai/v1" }
`),
      {
        upstream: [
          'proxied-azure=http://127.0.0.1:9000/v1',
          'azure=http://127.0.0.1:9001/v1',
          'vllm=http://127.0.0.1:8000/v1',
        ],
      },
      'test',
    );
    expect(c.upstreams.get('proxied-azure')).toMatchObject({
      base_url: 'http://127.0.0.1:9000/v1',
      key_env: 'AZ_KEY',
      api_key_header: true,
      models: [/^gpt-.*$/],
    });
    // Azure's header followed from its host alone: the new host is not Azure's.
    expect(c.upstreams.get('azure')!.api_key_header).toBe(false);
    expect(c.upstreams.get('openai')!.key_env).toBe('OPENAI_API_KEY');
    expect([...c.upstreams.keys()]).toEqual(['openai', 'anthropic', 'proxied-azure', 'azure', 'vllm']);
  });
});
