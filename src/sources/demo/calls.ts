import { type DemoModel, MODELS, PROMPT_LIMIT } from './models.js';
import { Kind, type Session } from './session.js';

const MIN_US = 60_000_000;
/** Anthropic's default cache lives 5 minutes; OpenAI's prompt cache a few minutes more. */
const ANTHROPIC_TTL_US = 5 * MIN_US;
const OPENAI_TTL_US = 10 * MIN_US;

/**
 * Makes the session's next call: fills its scratch usage, status and timings, and returns the pause in ms
 * between this call's end and the next call's start. Token shapes follow what each provider reports: Anthropic
 * writes prompt caches explicitly, OpenAI reads cached prefixes in 128-token steps, Gemini caches implicitly.
 */
export function makeCall(s: Session, ts: number): number {
  const r = s.rng;
  switch (s.kind) {
    case Kind.agent:
      if (s.call > 0 && s.agent === 'claude-code' && r.chance(0.12)) {
        // Claude Code's side calls (titles, summaries, command checks) go to Haiku without the conversation.
        s.reset(MODELS.haiku);
        s.input = r.logNormalInt(700, 0.8, 40, 8000);
        s.output = r.logNormalInt(60, 0.8, 3, 600);
        break;
      }
      s.reset(s.model);
      conversationTurn(
        s,
        ts,
        s.call === 0 ? r.logNormalInt(400, 1, 15, 8000) : r.logNormalInt(1400, 1.1, 30, 40_000),
      );
      s.output = r.logNormalInt(300, 1, 1, 8000);
      break;
    case Kind.support:
      s.reset(s.model);
      conversationTurn(s, ts, r.logNormalInt(1500, 0.6, 100, 12_000));
      s.output = r.logNormalInt(180, 0.6, 8, 1500);
      break;
    case Kind.rag:
      if (s.call === 0) {
        s.reset(MODELS.embedSmall);
        s.input = r.logNormalInt(25, 0.6, 3, 400);
        break;
      }
      s.reset(MODELS.gpt41mini);
      conversationTurn(s, ts, r.logNormalInt(3500, 0.5, 400, 20_000));
      s.output = r.logNormalInt(250, 0.6, 10, 2000);
      break;
    case Kind.review:
      s.reset(s.model);
      conversationTurn(
        s,
        ts,
        s.call === 0 ? r.logNormalInt(9000, 1, 400, 120_000) : r.logNormalInt(600, 0.8, 20, 10_000),
      );
      s.output = r.logNormalInt(500, 0.8, 20, 6000);
      break;
    case Kind.email:
      s.reset(s.model);
      conversationTurn(s, ts, r.logNormalInt(1500, 0.5, 200, 8000));
      s.output = r.logNormalInt(250, 0.5, 40, 1500);
      break;
    case Kind.batch:
      s.reset(s.model);
      s.input = r.logNormalInt(700, 0.6, 50, 8000);
      s.output = r.logNormalInt(40, 0.5, 1, 400);
      break;
    case Kind.runaway:
      // The loop: the same huge prompt again and again, a changing line near its end busting the cache after it.
      s.reset(s.model);
      s.cacheRead = r.logNormalInt(110_000, 0.01, 100_000, 120_000);
      s.cacheWrite5m = r.logNormalInt(60_000, 0.01, 50_000, 70_000);
      s.input = r.logNormalInt(2000, 0.03, 1000, 3000);
      s.output = r.logNormalInt(60, 0.1, 30, 200);
      break;
    default:
      s.kind satisfies never;
  }
  if (s.m.reasoning > 0 && s.kind !== Kind.batch) {
    s.reasoning = r.logNormalInt(s.m.reasoning, 0.9, 0, 30_000);
    s.output += s.reasoning;
  }
  finishCall(s);
  if (s.status === 'ok' && s.kind !== Kind.rag && s.kind !== Kind.batch) s.ctx += s.output - s.reasoning;
  return pauseAfter(s);
}

/**
 * A call that sends the conversation so far plus `fresh` new tokens, priced by how the provider caches: the
 * conversation is the cached prefix while the cache is warm; after an idle spell it must be read (or written) again.
 */
function conversationTurn(s: Session, ts: number, fresh: number): void {
  const r = s.rng;
  const m: DemoModel = s.m;
  let idle = ts - s.lastEnd;
  if (s.ctx + fresh > PROMPT_LIMIT) {
    // The agent compacts before sending a prompt past the window; the new prefix is not in any cache.
    s.ctx = s.sys + r.logNormalInt(12_000, 0.4, 3000, 30_000);
    idle = Number.POSITIVE_INFINITY;
  }
  if (m.cache === 'anthropic') {
    const warm = s.call > 0 && idle < ANTHROPIC_TTL_US;
    const uncached = Math.min(fresh, r.logNormalInt(300, 1, 1, 6000));
    s.input = uncached;
    if (s.call === 0) {
      // The system prompt sits in a 1-hour cache: often still warm from the person's previous session.
      if (r.chance(0.55)) s.cacheRead = s.sys;
      else s.cacheWrite1h = s.sys;
      s.cacheWrite5m = fresh - uncached;
    } else if (warm) {
      s.cacheRead = s.ctx;
      s.cacheWrite5m = fresh - uncached;
    } else {
      s.cacheRead = s.sys;
      s.cacheWrite5m = s.ctx - s.sys + fresh - uncached;
    }
  } else if (m.cache === 'openai') {
    const prompt = s.ctx + fresh;
    const warm = s.call === 0 ? r.chance(0.5) : idle < OPENAI_TTL_US && r.chance(0.95);
    const cached = warm && s.ctx >= 1024 ? s.ctx - (s.ctx % 128) : 0;
    s.cacheRead = cached;
    s.input = prompt - cached;
  } else {
    const prompt = s.ctx + fresh;
    const cached = s.call > 0 && r.chance(0.75) ? Math.floor(s.ctx * 0.9) : 0;
    s.cacheRead = cached;
    s.input = prompt - cached;
  }
  s.ctx += fresh;
}

const ANTHROPIC_ERRORS = ['rate_limit', 'rate_limit', 'overloaded', 'overloaded', 'server_error', 'timeout'];
const OTHER_ERRORS = ['rate_limit', 'rate_limit', 'rate_limit', 'server_error', 'server_error', 'timeout'];

/** Status and timings. A failed call bills nothing, so its usage is zero; an aborted one stops mid-answer. */
function finishCall(s: Session): void {
  const r = s.rng;
  const m = s.m;
  const roll = s.kind === Kind.runaway ? 1 : r.next();
  if (roll < 0.01) {
    s.reset(m);
    s.status = 'error';
    const errs = m.provider === 'anthropic' ? ANTHROPIC_ERRORS : OTHER_ERRORS;
    s.errorType = errs[Math.floor(r.next() * errs.length)]!;
    s.ttftMs = null;
    s.durationMs = s.errorType === 'timeout' ? r.int(60_000, 600_000) : r.logNormalInt(300, 0.8, 20, 5000);
    return;
  }
  if (roll < 0.014 && s.kind === Kind.agent) {
    s.status = 'aborted';
    s.errorType = 'client_cancelled';
    s.output = Math.floor(s.output * r.next());
    if (s.reasoning > s.output) s.reasoning = s.output;
  }
  if (s.serviceTier === 'batch') {
    // Batch results arrive hours later in one file: there is no latency to speak of.
    s.ttftMs = null;
    s.durationMs = null;
    return;
  }
  if (m.tps === 0) {
    s.ttftMs = null;
    s.durationMs = Math.round(40 + (s.input * 1000) / m.prefillTps + 30 * r.next());
    return;
  }
  const noise = Math.exp(0.3 * r.normal());
  const prefill = ((s.input + s.cacheWrite5m + s.cacheWrite1h + s.cacheRead * 0.1) * 1000) / m.prefillTps;
  const ttft = Math.round(m.ttftMs * noise + prefill + (s.reasoning * 1000) / m.tps);
  s.ttftMs = ttft;
  s.durationMs = ttft + Math.round((((s.output - s.reasoning) * 1000) / m.tps) * noise);
}

/** Milliseconds between the end of this call and the start of the next. */
function pauseAfter(s: Session): number {
  const r = s.rng;
  switch (s.kind) {
    case Kind.agent:
      // Tools run between calls; now and then the person reads, thinks or steps away.
      return r.chance(0.12)
        ? r.logNormalInt(45_000, 1, 3000, 1_800_000)
        : r.logNormalInt(2500, 1.1, 50, 120_000);
    case Kind.support:
      return r.logNormalInt(40_000, 0.8, 3000, 900_000);
    case Kind.rag:
      return r.int(20, 200);
    case Kind.review:
      return r.logNormalInt(1500, 0.8, 100, 30_000);
    case Kind.batch:
      return r.int(20, 200);
    case Kind.runaway:
      return r.logNormalInt(1200, 0.3, 300, 5000);
    default:
      return 1000;
  }
}
