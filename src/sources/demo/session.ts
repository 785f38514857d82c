import type { DemoModel } from './models.js';
import type { Rng } from './prng.js';

/** What drives a session's calls. Numbers, not strings: the generator switches on this once per event. */
export const Kind = {
  agent: 0,
  support: 1,
  rag: 2,
  review: 3,
  email: 4,
  batch: 5,
  runaway: 6,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * The git branch a coding-agent session works on: its ticket's, lower-cased (`PAY-1432` → `pay-1432`), as agents
 * log the branch they run on (tag `git_branch`); none for a session without a ticket or of an app.
 */
export function branchOf(s: { kind: Kind; taskId: string | null }): string | null {
  return s.kind === Kind.agent && s.taskId !== null ? s.taskId.toLowerCase() : null;
}

/** What a session is, as planned; optional fields default to null (Infinity for `until`). */
export interface SessionInit {
  kind: Kind;
  /** Start of the first call, epoch µs. */
  start: number;
  calls: number;
  model: DemoModel;
  /** Tokens of system prompt and tools, sent and cached on every call. */
  sys: number;
  team: string;
  user?: string | null;
  project: string;
  agent: string;
  /** Shown as session_id; the session's key when it has one. */
  sessionId?: string | null;
  taskId?: string | null;
  environment?: string | null;
  apiKeyId?: string | null;
  serviceTier?: string | null;
  appVersion?: string | null;
  /** The gateway router that picks the session's model (`route_id`), for an app that sends its calls through one. */
  routeId?: string | null;
  /** Epoch µs after which the session makes no more calls (the runaway loop's end). */
  until?: number;
}

/**
 * One unit of work that makes calls in time order: a coding-agent session, a support conversation, a RAG query,
 * a PR review, a batch job. The generator keeps live sessions in a heap keyed by `next` and asks the one due
 * first for its call. The fields after `next` are scratch space for the call being made, so that making a call
 * allocates nothing but the event itself.
 */
export class Session {
  readonly rng: Rng;
  readonly kind: Kind;
  readonly key: string;
  readonly model: DemoModel;
  readonly sys: number;
  readonly team: string;
  readonly user: string | null;
  readonly project: string;
  readonly agent: string;
  readonly sessionId: string | null;
  readonly taskId: string | null;
  readonly environment: string | null;
  readonly apiKeyId: string | null;
  readonly serviceTier: string | null;
  readonly appVersion: string | null;
  readonly routeId: string | null;
  readonly until: number;
  callsLeft: number;
  /** Index of the call being made. */
  call = 0;
  /** Start of the next call, epoch µs: the heap key. */
  next: number;
  /** When the previous call ended, epoch µs: prompt caches expire after minutes of idleness. */
  lastEnd: number;
  /** Tokens of conversation so far (system prompt included), i.e. the cached prefix of the next prompt. */
  ctx: number;

  // The call being made.
  m: DemoModel;
  input = 0;
  cacheRead = 0;
  cacheWrite5m = 0;
  cacheWrite1h = 0;
  output = 0;
  reasoning = 0;
  durationMs: number | null = 0;
  ttftMs: number | null = 0;
  status: 'ok' | 'error' | 'aborted' = 'ok';
  errorType: string | null = null;

  /** `key` is unique within the demo (seed): event ids derive from it and the call index. */
  constructor(init: SessionInit, rng: Rng, key: string) {
    this.rng = rng;
    this.key = key;
    this.kind = init.kind;
    this.model = init.model;
    this.m = init.model;
    this.sys = init.sys;
    this.ctx = init.sys;
    this.team = init.team;
    this.user = init.user ?? null;
    this.project = init.project;
    this.agent = init.agent;
    this.sessionId = init.sessionId ?? null;
    this.taskId = init.taskId ?? null;
    this.environment = init.environment ?? null;
    this.apiKeyId = init.apiKeyId ?? null;
    this.serviceTier = init.serviceTier ?? null;
    this.appVersion = init.appVersion ?? null;
    this.routeId = init.routeId ?? null;
    this.until = init.until ?? Number.POSITIVE_INFINITY;
    this.callsLeft = init.calls;
    this.next = init.start;
    this.lastEnd = init.start;
  }

  /** Clears the scratch fields before a call fills them. */
  reset(model: DemoModel): void {
    this.m = model;
    this.input = 0;
    this.cacheRead = 0;
    this.cacheWrite5m = 0;
    this.cacheWrite1h = 0;
    this.output = 0;
    this.reasoning = 0;
    this.status = 'ok';
    this.errorType = null;
  }
}
