import { describe, expect, it } from 'vitest';
import type { FileState } from '../store/import-records.js';
import { planFile, SETTLE_MS } from './file-plan.js';

const NOW = 1_800_000_000_000;
const OLD = NOW - 2 * SETTLE_MS;
const state = (o: Partial<FileState> = {}): FileState => ({
  source: 'claude-code',
  path: '/logs/a.jsonl',
  size: 1000,
  mtimeMs: OLD,
  offset: 900,
  lineNo: 12,
  check: 'abc',
  heldBack: false,
  importedAt: 0,
  parserState: '{"model":"gpt-5"}',
  ...o,
});

describe('planFile', () => {
  it('reads a file it has never seen from the start, holding the tail only while it is fresh', () => {
    expect(planFile('append', { size: 10, mtimeMs: OLD }, undefined, NOW)).toEqual({
      read: true,
      offset: 0,
      lineNo: 1,
      holdTail: false,
      check: null,
      parserState: null,
      mtimeMs: OLD,
      size: 10,
    });
    expect(planFile('append', { size: 10, mtimeMs: NOW - 1000 }, undefined, NOW)).toMatchObject({
      holdTail: true,
    });
    // A whole file may be appended to too (Gemini CLI .jsonl); read-file.ts asks the source whether it is.
    expect(planFile('whole-file', { size: 10, mtimeMs: NOW }, undefined, NOW)).toMatchObject({
      holdTail: true,
    });
    expect(planFile('always', { size: 10, mtimeMs: NOW }, undefined, NOW)).toMatchObject({
      holdTail: false,
    });
  });

  it('does not open an unchanged file', () => {
    const facts = { size: 1000, mtimeMs: OLD };
    expect(planFile('append', facts, state(), NOW)).toEqual({ read: false });
    expect(planFile('whole-file', facts, state({ offset: 0 }), NOW)).toEqual({ read: false });
  });

  it('always reads in mode always', () => {
    expect(planFile('always', { size: 1000, mtimeMs: OLD }, state(), NOW)).toMatchObject({
      read: true,
      offset: 0,
    });
  });

  it('reads a grown log on from the saved offset, with the hash the bytes before it must still have', () => {
    expect(planFile('append', { size: 2000, mtimeMs: OLD + 5 }, state(), NOW)).toEqual({
      read: true,
      offset: 900,
      lineNo: 12,
      holdTail: false,
      check: 'abc',
      parserState: '{"model":"gpt-5"}',
      mtimeMs: OLD + 5,
      size: 2000,
    });
    expect(planFile('whole-file', { size: 2000, mtimeMs: OLD + 5 }, state(), NOW)).toMatchObject({
      offset: 0,
    });
  });

  it('starts again from 0 when the file shrank below the offset (rewritten or truncated)', () => {
    expect(planFile('append', { size: 100, mtimeMs: OLD + 5 }, state(), NOW)).toMatchObject({
      offset: 0,
      lineNo: 1,
    });
  });

  it('reads a whole file with a held-back line again from the start once it has settled, not before', () => {
    const held = state({ heldBack: true, mtimeMs: NOW - 1000, offset: 0 });
    const facts = { size: 1000, mtimeMs: NOW - 1000 };
    expect(planFile('whole-file', facts, held, NOW)).toEqual({ read: false });
    expect(planFile('whole-file', facts, held, NOW + SETTLE_MS)).toMatchObject({
      read: true,
      offset: 0,
      holdTail: false,
    });
  });

  it('reads a held-back tail of an unchanged file once the file has settled, not before', () => {
    const held = state({ heldBack: true, mtimeMs: NOW - 1000 });
    expect(planFile('append', { size: 1000, mtimeMs: NOW - 1000 }, held, NOW)).toEqual({ read: false });
    expect(planFile('append', { size: 1000, mtimeMs: NOW - 1000 }, held, NOW + SETTLE_MS)).toMatchObject({
      read: true,
      offset: 900,
      holdTail: false,
    });
  });
});
