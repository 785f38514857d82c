import { describe, expect, it } from 'vitest';
import { emptyAttribution } from '../ledger/event.js';
import type { Budget } from './budget.js';
import { type CallScope, matchingBudgets, scopeCovers } from './match.js';

const call: CallScope = {
  attribution: {
    ...emptyAttribution(),
    team: 'payments',
    user: 'alice',
    api_key_id: 'vk_1',
    tags: { app: 'web' },
  },
  provider: 'openai',
  model: 'gpt-4o-2024-08-06',
  canonicalModel: 'gpt-4o',
};

describe('scopeCovers', () => {
  it('an empty scope covers every call', () => {
    expect(scopeCovers({}, call)).toBe(true);
  });
  it('all pairs must hold (AND)', () => {
    expect(scopeCovers({ team: 'payments', user: 'alice' }, call)).toBe(true);
    expect(scopeCovers({ team: 'payments', user: 'bob' }, call)).toBe(false);
    expect(scopeCovers({ project: 'x' }, call)).toBe(false);
  });
  it('model matches the requested name or the canonical id', () => {
    expect(scopeCovers({ model: 'gpt-4o' }, call)).toBe(true);
    expect(scopeCovers({ model: 'gpt-4o-2024-08-06' }, call)).toBe(true);
    expect(scopeCovers({ model: 'gpt-4o-mini' }, call)).toBe(false);
    expect(scopeCovers({ model: 'gpt-4o' }, { ...call, canonicalModel: null })).toBe(false);
  });
  it('provider, api_key_id and tags', () => {
    expect(scopeCovers({ provider: 'openai', api_key_id: 'vk_1' }, call)).toBe(true);
    expect(scopeCovers({ provider: 'anthropic' }, call)).toBe(false);
    expect(scopeCovers({ 'tag.app': 'web' }, call)).toBe(true);
    expect(scopeCovers({ 'tag.app': 'cli' }, call)).toBe(false);
    expect(scopeCovers({ 'tag.env': 'web' }, call)).toBe(false);
  });
});

describe('matchingBudgets', () => {
  it('keeps the order and only those that apply', () => {
    const b = (id: string, scope: Record<string, string>) => ({ id, scope }) as unknown as Budget;
    const list = [b('a', { team: 'payments' }), b('b', { team: 'search' }), b('c', {})];
    expect(matchingBudgets(list, call).map((x) => x.id)).toEqual(['a', 'c']);
  });
});
