import { z } from 'zod';
import { TokenledgerError } from '../../errors.js';
import { ALERT_KINDS, type AlertKind, SEVERITIES, type Severity } from './alert.js';

/**
 * The `alerts:` section of tokenledger.config.yaml. Secrets never sit in the file: a webhook names the environment
 * variable holding its signing secret (`secret_env`), and a webhook whose URL is itself a secret (Slack's are) can name
 * the variable holding the URL (`url_env`) instead of `url`.
 *
 * @example
 * alerts:
 *   webhooks:
 *     - url_env: SLACK_ALERTS_URL
 *       format: slack
 *       min_severity: warning
 *     - name: pager
 *       url: https://alerts.example.com/tokenledger
 *       format: json
 *       secret_env: TOKENLEDGER_WEBHOOK_SECRET
 *       kinds: [budget_blocked, runaway]
 */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_NAME, {
  message: 'expected the NAME of an environment variable (such as TOKENLEDGER_WEBHOOK_SECRET), not a value',
});

const httpUrl = z
  .string()
  .trim()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
    message: 'expected an http:// or https:// URL',
  });

const webhookSchema = z
  .object({
    /** Shown in `tokenledger alerts` and the deliveries log instead of the URL (URLs may hold secrets). */
    name: z
      .string()
      .regex(/^[\w.-]{1,64}$/, { message: 'expected a short name like "slack" or "pager"' })
      .optional(),
    url: httpUrl.optional(),
    url_env: envName.optional(),
    format: z.enum(['slack', 'json'], { message: 'expected "slack" or "json"' }),
    secret_env: envName.optional(),
    kinds: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
    min_severity: z.enum(SEVERITIES).optional(),
  })
  .strict()
  .refine((w) => (w.url === undefined) !== (w.url_env === undefined), {
    message: 'give exactly one of url or url_env',
  });

export const alertsConfigSchema = z.object({ webhooks: z.array(webhookSchema).optional() }).strict();

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

/** A webhook with its URL and secret read from the environment; frozen at start-up. */
export interface Webhook {
  name: string;
  url: string;
  format: 'slack' | 'json';
  /** HMAC key; null sends the body unsigned. */
  secret: string | null;
  /** null: every kind. */
  kinds: readonly AlertKind[] | null;
  min_severity: Severity;
}

/**
 * Reads the URLs and secrets the config names from `env`. A variable that is named but unset fails here, at start-up,
 * rather than at the first alert hours later.
 */
export function resolveWebhooks(config: AlertsConfig | undefined, env: NodeJS.ProcessEnv): Webhook[] {
  const problems: string[] = [];
  const hooks = (config?.webhooks ?? []).map((w, i): Webhook => {
    const fromEnv = (field: string, name: string | undefined): string | null => {
      if (name === undefined) return null;
      const value = env[name];
      if (value === undefined || value.trim() === '') {
        problems.push(`alerts.webhooks.${i}.${field}: environment variable ${name} is not set`);
        return null;
      }
      return value.trim();
    };
    const url = w.url ?? fromEnv('url_env', w.url_env) ?? '';
    if (w.url_env !== undefined && url !== '' && !/^https?:\/\//.test(url))
      problems.push(`alerts.webhooks.${i}.url_env: ${w.url_env} does not hold an http(s) URL`);
    return {
      name: w.name ?? defaultName(w.url, w.url_env, i),
      url,
      format: w.format,
      secret: fromEnv('secret_env', w.secret_env),
      kinds: w.kinds ?? null,
      min_severity: w.min_severity ?? 'info',
    };
  });
  if (problems.length > 0)
    throw new TokenledgerError(
      'ALERT_CONFIG',
      `alerts config has ${problems.length} problem${problems.length === 1 ? '' : 's'}; set the variables or remove the webhooks:\n  ${problems.join('\n  ')}`,
    );
  return hooks;
}

// The host only: paths and query strings of webhook URLs often carry tokens.
function defaultName(url: string | undefined, urlEnv: string | undefined, i: number): string {
  if (url !== undefined) return `${new URL(url).host}#${i}`;
  return `${urlEnv}#${i}`;
}
