import type { AlertSink } from '../budgets/alerts/alert.js';
import { runawayAlertBase } from '../budgets/runaway-alert.js';
import type { RunawayConfig } from '../budgets/runaway-config.js';
import { requestFingerprint } from '../budgets/runaway-fingerprint.js';
import { createRunawayWatch, type RunawayWatch } from '../budgets/runaway-watch.js';
import type { Attribution, UsageEvent } from '../ledger/event.js';
import { formatUsd, formatUsdDisplay } from '../money/money.js';
import { GatewayError } from './errors.js';

/** 429 for a session stopped as a runaway agent (`runaway.block: true`). */
export class SessionBlockedError extends GatewayError {
  constructor(
    readonly sessionId: string,
    readonly until: number,
    reason: 'spend' | 'loop',
    now: number,
  ) {
    super(
      'GW_SESSION_BLOCKED',
      `session ${sessionId} is blocked until ${new Date(until).toISOString()} as a runaway agent (${reason === 'loop' ? 'a loop of near-identical requests' : 'spend over the runaway limit'}); start a new session or ask an admin`,
    );
    this.retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
  }
  readonly retryAfterSeconds: number;
}

/**
 * Live runaway detection in the gateway: each recorded call is shown to the runaway watch (spend of the session
 * within the window, near-identical requests in a loop); a runaway raises an alert and, with `block: true`, the
 * session's next requests get 429 until the block ends.
 */
export class SessionGuard {
  private readonly watch: RunawayWatch;

  constructor(
    private readonly config: RunawayConfig,
    private readonly alerts: AlertSink | null,
    private readonly now: () => number = Date.now,
  ) {
    this.watch = createRunawayWatch(config);
  }

  check(a: Attribution): void {
    if (a.session_id === null) return;
    const now = this.now();
    const b = this.watch.isBlocked(a.session_id, now);
    if (b !== null) throw new SessionBlockedError(b.session_id, b.until, b.reason, now);
  }

  observe(json: Record<string, unknown>, e: UsageEvent): void {
    if (e.session_id === null) return;
    const v = this.watch.record({
      session_id: e.session_id,
      agent: e.agent,
      cost: e.cost_usd ?? 0n,
      fingerprint: requestFingerprint(json),
      ts: Math.floor(e.ts / 1000),
    });
    if (!v.runaway || this.alerts === null) return;
    const what =
      v.reason === 'loop'
        ? `${v.repeats} near-identical requests in ${v.window_minutes} minutes`
        : `${formatUsdDisplay(v.spend)} in ${v.window_minutes} minutes (limit $${this.config.max_usd})`;
    this.alerts.raise({
      ...runawayAlertBase('session_id', v.session_id, { team: e.team, user: e.user, agent: v.agent }),
      title: `Runaway session ${v.session_id}${v.agent ? ` (${v.agent})` : ''}: ${what}${v.blocked_until ? `; blocked until ${new Date(v.blocked_until).toISOString()}` : ''}`,
      data: {
        reason: v.reason,
        window_minutes: v.window_minutes,
        blocked_until: v.blocked_until === null ? null : new Date(v.blocked_until).toISOString(),
        ...(v.reason === 'loop' ? { repeats: v.repeats } : { spend_usd: formatUsd(v.spend) }),
      },
    });
  }
}
