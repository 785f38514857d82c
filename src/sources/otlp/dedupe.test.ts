import { describe, expect, it } from 'vitest';
import { PerRequestRegistry } from './dedupe.js';

describe('PerRequestRegistry', () => {
  it('keeps the most recently seen keys within its bound', () => {
    const r = new PerRequestRegistry(2);
    r.add(['a', 'b']);
    r.add(['a']); // seen again: now the most recent
    r.add(['c']);
    expect([...r.keys()]).toEqual(['a', 'c']);
  });

  // A key whose only records were refused by the write-ahead log is forgotten (otlp-worker.ts). If it pushed another
  // key out of the bound, that key's counters would be counted beside its per-request records: it must come back.
  it('brings back, least recently seen, the key a forgotten key pushed out of the bound', () => {
    const r = new PerRequestRegistry(2);
    r.add(['a', 'b']);
    r.add(['c']); // 'a' pushed out
    expect(r.has('a')).toBe(false);
    r.forget('c');
    expect([...r.keys()]).toEqual(['a', 'b']);
  });

  it('brings nothing back when the pushed-out key was seen again since', () => {
    const r = new PerRequestRegistry(2);
    r.add(['a', 'b']);
    r.add(['c']); // 'a' pushed out
    r.add(['a']); // 'a' back by records of its own; 'b' pushed out
    r.forget('c');
    expect([...r.keys()]).toEqual(['a']);
  });
});
