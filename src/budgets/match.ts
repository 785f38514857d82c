import type { Attribution } from '../ledger/event.js';
import type { Budget, Scope } from './budget.js';

/** What a call is known by when budgets are matched: its attribution and the model it asks for. */
export interface CallScope {
  attribution: Attribution;
  /** Provider id used for pricing (`openai`, `anthropic`, an upstream's `provider`). */
  provider: string;
  /** The model name as requested (after aliases). */
  model: string;
  /** The catalog's canonical id for it, when the pricer knows the model. */
  canonicalModel: string | null;
}

/**
 * Does a budget's scope cover the call? Every `dim = value` pair must hold (an AND); an empty scope covers every
 * call. `model` matches the requested name or the canonical catalog id, so a budget written as `gpt-4o` also covers
 * a call to `openai/gpt-4o` and the ledger's `model` column it is rebuilt from. Pure.
 */
export function scopeCovers(scope: Scope, call: CallScope): boolean {
  const pairs = pairsOf(scope);
  for (let i = 0; i < pairs.length; i += 2) if (!dimensionHolds(pairs[i]!, pairs[i + 1]!, call)) return false;
  return true;
}

/** A scope's `dim, value, dim, value…`, listed once per scope object: a for-in per budget per call costs more. */
const PAIRS = new WeakMap<Scope, string[]>();

function pairsOf(scope: Scope): string[] {
  let p = PAIRS.get(scope);
  if (p === undefined) {
    p = [];
    for (const dim in scope) p.push(dim, scope[dim]!);
    PAIRS.set(scope, p);
  }
  return p;
}

function dimensionHolds(dim: string, want: string, call: CallScope): boolean {
  switch (dim) {
    case 'provider':
      return call.provider === want;
    case 'model':
      return call.model === want || (call.canonicalModel !== null && call.canonicalModel === want);
    default:
      if (dim.startsWith('tag.')) return call.attribution.tags[dim.slice(4)] === want;
      return (call.attribution as unknown as Record<string, string | null>)[dim] === want;
  }
}

/** The budgets that apply to a call, in the order given. */
export function matchingBudgets(budgets: readonly Budget[], call: CallScope): Budget[] {
  const out: Budget[] = [];
  for (const b of budgets) if (scopeCovers(b.scope, call)) out.push(b);
  return out;
}
