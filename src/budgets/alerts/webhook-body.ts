import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert } from './alert.js';
import { SEVERITIES } from './alert.js';
import type { Webhook } from './alerts-config.js';

/**
 * What is sent to a webhook, as pure functions: the body for each format, the signature and its check.
 *
 * Signing (any format, when the webhook has `secret_env`): the receiver gets
 *   x-tokenledger-timestamp: <unix seconds>
 *   x-tokenledger-signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 * and should recompute the HMAC over the RAW request bytes (not re-serialised JSON), compare in constant time, and
 * reject timestamps more than 5 minutes old, so a captured request cannot be replayed later. `verifySignature` does
 * exactly that. `x-tokenledger-delivery` (the alert id) is the same on every retry, for receivers that de-duplicate.
 */

export const SIGNATURE_HEADER = 'x-tokenledger-signature';
export const TIMESTAMP_HEADER = 'x-tokenledger-timestamp';
export const DELIVERY_HEADER = 'x-tokenledger-delivery';

export function wants(w: Webhook, a: Alert): boolean {
  if (w.kinds !== null && !w.kinds.includes(a.kind)) return false;
  return SEVERITIES.indexOf(a.severity) >= SEVERITIES.indexOf(w.min_severity);
}

export function webhookBody(w: Webhook, a: Alert): string {
  return w.format === 'slack' ? JSON.stringify(slackMessage(a)) : JSON.stringify(a);
}

export function webhookHeaders(
  w: Webhook,
  a: Alert,
  body: string,
  nowSeconds: number,
): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'tokenledger-alerts',
    [DELIVERY_HEADER]: a.id,
  };
  if (w.secret !== null) {
    const ts = String(Math.floor(nowSeconds));
    h[TIMESTAMP_HEADER] = ts;
    h[SIGNATURE_HEADER] = `sha256=${sign(w.secret, ts, body)}`;
  }
  return h;
}

function sign(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** For receivers (and our tests): true when the signature matches and the timestamp is within `toleranceSeconds`. */
export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(`sha256=${sign(secret, timestamp, rawBody)}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const ICON = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;

/** Slack incoming-webhook payload: `text` is the notification fallback, `blocks` the rendered message. */
function slackMessage(a: Alert): { text: string; blocks: unknown[] } {
  const scope = Object.entries(a.scope)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const fields = [
    `*Kind*\n${a.kind}`,
    `*Severity*\n${a.severity}`,
    `*Scope*\n${scope === '' ? 'whole organisation' : scope}`,
    ...(a.budget_id ? [`*Budget*\n${a.budget_id}`] : []),
    ...Object.entries(a.data ?? {}).map(([k, v]) => `*${k}*\n${String(v)}`),
  ]
    .slice(0, 10) // Slack's limit on section fields
    .map((t) => ({ type: 'mrkdwn', text: truncate(escapeMrkdwn(t), 2000) }));
  return {
    text: `${ICON[a.severity]} [${a.severity.toUpperCase()}] ${escapeMrkdwn(a.title)}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(a.title, 150), emoji: true } },
      { type: 'section', fields },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `tokenledger · ${a.id} · ${a.created_at}` }],
      },
    ],
  };
}

// Slack treats <, > and & as control characters in mrkdwn (links, mentions); everything else is literal.
function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
