import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOtlpIngest } from '../../sources/otlp/ingest.js';
import { appendJournalLines, IngestJournal, readIngestJournal } from './ingest-journal.js';

const point = (time: number, value: number) => ({
  start: 1,
  time,
  value,
  delta: { from: time - 10, to: time, value: 10, base: value - 10 },
});

describe('the OTLP receiver’s state journal', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-journal-'));
    path = join(dir, 'ledger.otlp-state');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the lines of points that wait for the log, and writes them once given back, after the rest', () => {
    const journal = new IngestJournal(path, { perRequest: [], series: [] });
    journal.series('s1', point(100, 5));
    journal.flush(() => ({ perRequest: [], series: [] }));
    const mark = journal.mark();
    journal.series('s1', point(200, 9));
    const waiting = journal.take(mark);
    journal.perRequest('app|a|');
    journal.flush(() => ({ perRequest: [], series: [] }));
    expect(readIngestJournal(path).remembered.series).toEqual([['s1', point(100, 5)]]);
    journal.add(waiting);
    journal.flush(() => ({ perRequest: [], series: [] }));
    expect(readIngestJournal(path).remembered).toMatchObject({
      perRequest: ['app|a|'],
      series: [['s1', point(200, 9)]],
    });
  });

  it('appends lines a log replay hands over on a line of their own, after a line torn by a crash', async () => {
    const journal = new IngestJournal(path, { perRequest: [], series: [], since: 7 });
    journal.series('s1', point(100, 5));
    journal.flush(() => ({ perRequest: [], series: [] }));
    writeFileSync(path, `${readFileSync(path, 'utf8')}["s","s1",1,`, { flag: 'w' });
    await appendJournalLines(path, [JSON.stringify(['s', 's1', 1, 200, 9, [190, 200, 10, -1]])]);
    const read = readIngestJournal(path);
    expect(read.damaged).toBe(1);
    expect(read.remembered.series).toEqual([
      ['s1', { start: 1, time: 200, value: 9, delta: { from: 190, to: 200, value: 10, base: -1 } }],
    ]);
    // And without a torn line, no empty one.
    const before = readFileSync(path, 'utf8');
    await appendJournalLines(path, ['["k","app|a|"]']);
    expect(readFileSync(path, 'utf8')).toBe(`${before}["k","app|a|"]\n`);
  });

  it('reads back what was told, the last line of a key winning and placing it', () => {
    const journal = new IngestJournal(path, { perRequest: ['app|a|'], series: [] });
    journal.series('s1', point(100, 5));
    journal.perRequest('agent|claude-code|s');
    journal.series('s2', { start: 1, time: 50, value: 0, delta: null });
    journal.series('s1', point(200, 9));
    journal.flush(() => ({ perRequest: [], series: [] }));

    expect(readIngestJournal(path)).toEqual({
      remembered: {
        perRequest: ['app|a|', 'agent|claude-code|s'],
        series: [
          ['s2', { start: 1, time: 50, value: 0, delta: null }],
          ['s1', point(200, 9)],
        ],
      },
      damaged: 0,
      problems: [],
    });
  });

  // From when every series seen is in the file: a series that began after and is not in it is new to the ledger.
  it('reads back its since, unless a line could not be read (it may have held a series)', () => {
    const journal = new IngestJournal(path, { perRequest: [], series: [], since: 1000 });
    journal.series('s1', point(100, 5));
    journal.since(2000);
    journal.flush(() => ({ perRequest: [], series: [] }));
    expect(readIngestJournal(path).remembered.since).toBe(2000);
    writeFileSync(path, `${readFileSync(path, 'utf8')}["s","torn`);
    expect(readIngestJournal(path).remembered.since).toBeUndefined();
  });

  // A series whose only point was taken back (its export refused by the write-ahead log) is new again after a restart.
  it('forgets a series a forget line names', () => {
    const journal = new IngestJournal(path, { perRequest: [], series: [] });
    journal.series('s1', point(100, 5));
    journal.series('s2', point(100, 7));
    journal.forget('s1');
    journal.flush(() => ({ perRequest: [], series: [] }));
    expect(readIngestJournal(path).remembered.series).toEqual([['s2', point(100, 7)]]);
  });

  // A retry of the last point gives its window again, whose cost is read from the point and its base (metrics.ts).
  it('reads a window written before windows kept their base as starting from the point less what it added', () => {
    const journal = new IngestJournal(path, { perRequest: [], series: [] });
    journal.flush(() => ({ perRequest: [], series: [] }));
    writeFileSync(
      path,
      `${readFileSync(path, 'utf8')}${JSON.stringify(['s', 'cost', 1, 200, 12.5, [100, 200, 2.5]])}\n${JSON.stringify(['s', 'first', 1, 200, 7, [1, 200, 7]])}\n`,
    );
    expect(readIngestJournal(path).remembered.series).toEqual([
      ['cost', { start: 1, time: 200, value: 12.5, delta: { from: 100, to: 200, value: 2.5, base: 10 } }],
      ['first', { start: 1, time: 200, value: 7, delta: { from: 1, to: 200, value: 7, base: 0 } }],
    ]);
  });

  it('is readable by its owner only, as its series keys hold resource attributes', () => {
    const journal = new IngestJournal(path, { perRequest: [], series: [] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    rmSync(path);
    journal.perRequest('agent|claude-code|s');
    journal.flush(() => ({ perRequest: [], series: [] }));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('is nothing remembered when there is no file yet', () => {
    expect(readIngestJournal(path).remembered).toEqual({ perRequest: [], series: [] });
  });

  it('starts over from what is remembered once it holds more than twice that', () => {
    const ingest = createOtlpIngest({ since: 0 });
    const journal = new IngestJournal(path, ingest.remembered());
    for (let i = 0; i < 20_001; i++) journal.series('one series', point(i + 10, i));
    journal.flush(() => ({ perRequest: ['k'], series: [['one series', point(20_010, 20_000)]] }));

    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    expect(readIngestJournal(path).remembered).toEqual({
      perRequest: ['k'],
      series: [['one series', point(20_010, 20_000)]],
    });
  });

  it('fails a flush it cannot write with the file named, and writes the lines at the next one', () => {
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    const journal = new IngestJournal(join(inner, 'state'), { perRequest: [], series: [] });
    rmSync(inner, { recursive: true });
    journal.perRequest('first');
    const none = () => ({ perRequest: [], series: [] });
    expect(() => journal.flush(none)).toThrow(
      `the OTLP receiver's state file ${join(inner, 'state')} could not be written`,
    );

    mkdirSync(inner);
    journal.perRequest('second');
    journal.flush(none);
    expect(readIngestJournal(join(inner, 'state')).remembered.perRequest).toEqual(['first', 'second']);
  });
});
