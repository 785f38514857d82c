import { describe, expect, it } from 'vitest';
import type { Alert } from './alert.js';
import { alertsConfigSchema, resolveWebhooks } from './alerts-config.js';
import { backoffMs } from './delivery-queue.js';
import { wants } from './webhook-body.js';

describe('alertsConfigSchema', () => {
  it('accepts a Slack hook by env var and a signed JSON hook', () => {
    const c = alertsConfigSchema.parse({
      webhooks: [
        { url_env: 'SLACK_URL', format: 'slack', min_severity: 'warning' },
        { name: 'pager', url: 'https://x.example/hook', format: 'json', secret_env: 'S', kinds: ['runaway'] },
      ],
    });
    const hooks = resolveWebhooks(c, { SLACK_URL: 'https://hooks.slack.com/services/T/B/secret', S: 'k' });
    expect(hooks).toEqual([
      {
        name: 'SLACK_URL#0',
        url: 'https://hooks.slack.com/services/T/B/secret',
        format: 'slack',
        secret: null,
        kinds: null,
        min_severity: 'warning',
      },
      {
        name: 'pager',
        url: 'https://x.example/hook',
        format: 'json',
        secret: 'k',
        kinds: ['runaway'],
        min_severity: 'info',
      },
    ]);
  });

  it('names a webhook by host only, so a token in its path never reaches the log', () => {
    const c = alertsConfigSchema.parse({ webhooks: [{ url: 'https://h.example/T0KEN/x', format: 'json' }] });
    expect(resolveWebhooks(c, {})[0]?.name).toBe('h.example#0');
  });

  it('rejects secrets in the file, both or neither url, bad formats and kinds, with their paths', () => {
    const r = alertsConfigSchema.safeParse({
      webhooks: [
        { url: 'https://a.example', url_env: 'U', format: 'json' },
        { format: 'json' },
        { url: 'ftp://a.example', format: 'xml', secret_env: 'whsec_123-abc', kinds: ['nope'] },
        { url: 'https://a.example', format: 'json', secret: 'inline' },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'webhooks.0',
      'webhooks.1',
      'webhooks.2.format',
      'webhooks.2.kinds.0',
      'webhooks.2.secret_env',
      'webhooks.2.url',
      'webhooks.3',
    ]);
  });

  it('fails at start-up when a named variable is unset, listing every one', () => {
    const c = alertsConfigSchema.parse({
      webhooks: [
        { url_env: 'NO_URL', format: 'slack' },
        { url: 'https://a.example', format: 'json', secret_env: 'NO_SECRET' },
      ],
    });
    expect(() => resolveWebhooks(c, {})).toThrow(
      /alerts\.webhooks\.0\.url_env: environment variable NO_URL is not set\n {2}alerts\.webhooks\.1\.secret_env: environment variable NO_SECRET/,
    );
    expect(() => resolveWebhooks(c, {})).toThrow(expect.objectContaining({ code: 'ALERT_CONFIG' }));
  });
});

describe('routing and backoff', () => {
  const alert = (kind: Alert['kind'], severity: Alert['severity']) => ({ kind, severity }) as Alert;

  it('filters by kind and minimum severity', () => {
    const w = {
      name: 'w',
      url: '',
      format: 'json',
      secret: null,
      kinds: ['anomaly'],
      min_severity: 'warning',
    } as const;
    expect(wants(w, alert('anomaly', 'warning'))).toBe(true);
    expect(wants(w, alert('anomaly', 'critical'))).toBe(true);
    expect(wants(w, alert('anomaly', 'info'))).toBe(false);
    expect(wants(w, alert('runaway', 'critical'))).toBe(false);
  });

  it('doubles the delay per retry, jittered within the upper half, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, 0.999999))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20, 1000, 60_000, 0.5)).toBe(45_000);
  });
});
