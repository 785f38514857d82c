import { describe, expect, it } from 'vitest';
import { parseLines } from '../../../test/helpers/parse-lines.js';
import { csvSource } from './parse.js';
import { splitCsvRecord } from './split.js';

describe('splitCsvRecord', () => {
  it('splits RFC 4180 fields: quotes, doubled quotes, commas inside quotes, empty fields', () => {
    expect(splitCsvRecord('a,"b,c","say ""hi""",,e,')).toEqual(['a', 'b,c', 'say "hi"', '', 'e', '']);
    expect(splitCsvRecord('"open')).toBeNull();
  });
});

describe('csv source', () => {
  const header = 'ts,model,user,input_tokens,output_tokens,cost_usd,tag.ticket,tag.env';

  it('reads rows by the header, tag.KEY columns into tags, empty cells as not set', () => {
    const { events, skips } = parseLines(csvSource, [
      header,
      '2026-11-03T09:00:00Z,gpt-5,ana,100,20,,PAY-1,',
      '1762160400000,gpt-5,,7,0,0.5,,prod',
    ]);
    expect(skips).toEqual([]);
    expect(
      events.map((e) => [
        e.ts,
        e.user,
        e.input_tokens,
        e.output_tokens,
        e.tags,
        e.given_cost?.cost_usd ?? null,
      ]),
    ).toEqual([
      [Date.UTC(2026, 10, 3, 9) * 1000, 'ana', 100, 20, { ticket: 'PAY-1' }, null],
      [1_762_160_400_000_000, null, 7, 0, { env: 'prod' }, 500_000_000_000n],
    ]);
    expect(events[0]!.source).toBe('csv');
    expect(events[0]!.source_ref).toBe('test.in:2');
  });

  it('reads web_search_requests as a count, as export writes it', () => {
    const { events, skips } = parseLines(csvSource, [
      'ts,model,input_tokens,output_tokens,web_search_requests',
      '2026-11-03T09:00:00Z,claude-sonnet-4-5,100,20,3',
      '2026-11-03T09:01:00Z,claude-sonnet-4-5,100,20,',
    ]);
    expect(skips).toEqual([]);
    expect(events.map((e) => e.web_search_requests)).toEqual([3, 0]);
  });

  it('reads audio_ms as a count, as export writes it', () => {
    const { events, skips } = parseLines(csvSource, [
      'ts,model,provider,audio_ms',
      '2026-11-03T09:00:00Z,whisper-1,openai,9000',
      '2026-11-03T09:01:00Z,whisper-1,openai,',
    ]);
    expect(skips).toEqual([]);
    expect(events.map((e) => e.audio_ms)).toEqual([9000, 0]);
  });

  it('reads a file a spreadsheet saved with semicolons (where the decimal mark is the comma) as the same events', () => {
    const rows = ['2026-11-03T09:00:00Z,gpt-5,ana,100,20,,PAY-1,', '1762160400000,gpt-5,,7,0,0.5,,prod'];
    const semi = (l: string) => l.replaceAll(',', ';');
    const comma = parseLines(csvSource, [header, ...rows]);
    const semicolon = parseLines(csvSource, [
      semi(header),
      ...rows.map(semi),
      '2026-11-04T09:00:00Z;gpt-5;"a;b";1;1;;;',
    ]);
    expect(semicolon.skips).toEqual([]);
    expect(semicolon.events.slice(0, 2)).toEqual(comma.events);
    expect(semicolon.events[2]!.user).toBe('a;b');
    // A file whose header has commas is read by commas, semicolons in its cells and all.
    const plain = parseLines(csvSource, ['ts,model,user', '2026-11-03T09:00:00Z,gpt-5,a;b']);
    expect(plain.events[0]!.user).toBe('a;b');
  });

  it('reads a quoted field that spans lines and reports the record at its first line', () => {
    const { events } = parseLines(csvSource, [
      'ts,model,tag.note',
      '2026-11-03,gpt-5,"two',
      'lines"',
      '2026-11-04,gpt-5,x',
    ]);
    expect(events.map((e) => [e.tags.note, e.source_ref])).toEqual([
      ['two\nlines', 'test.in:2'],
      ['x', 'test.in:4'],
    ]);
  });

  it('skips rows with the wrong number of fields or bad values, naming line and field', () => {
    const { events, skips } = parseLines(csvSource, [
      header,
      '2026-11-03,gpt-5,ana,1',
      '2026-11-03,gpt-5,ana,x,1,,,',
      '2026-11-03,gpt-5,ana,1,1,,,',
      'ts',
    ]);
    expect(events).toHaveLength(1);
    expect(skips.map((s) => [s.ref, s.code])).toEqual([
      ['test.in:2', 'SRC_BAD_CSV'],
      ['test.in:3', 'SRC_BAD_RECORD'],
      ['test.in:5', 'SRC_BAD_CSV'],
    ]);
    expect(skips[1]!.reason).toMatch(/^input_tokens: /);
  });

  it('reads a signed or padded count as a number, so a negative one is told so', () => {
    const { events, skips } = parseLines(csvSource, [
      header,
      '2026-11-03,gpt-5,ana, 12 ,3,,,',
      '2026-11-03,gpt-5,ana,-1,3,,,',
    ]);
    expect(events.map((e) => e.input_tokens)).toEqual([12]);
    expect(skips.map((s) => [s.ref, s.reason])).toEqual([['test.in:3', 'input_tokens: cannot be negative']]);
  });

  it('reports a quote left open at the end of the file', () => {
    const { skips } = parseLines(csvSource, ['ts,model,tag.a', '2026-11-03,gpt-5,"never closed']);
    expect(skips).toEqual([
      {
        ref: 'test.in:2',
        code: 'SRC_BAD_CSV',
        reason: 'quoted field never closed before the end of the file',
      },
    ]);
  });

  it('loses only the row of a quote left open to the end of the file: the rows after it are read', () => {
    const { events, skips } = parseLines(csvSource, [
      'ts,model,user',
      '2026-11-03T10:00:00Z,gpt-5,"ana',
      '2026-11-03T10:00:01Z,gpt-5,bob',
      '2026-11-03T10:00:02Z,gpt-5,cy',
      '',
      '2026-11-03T10:00:04Z,gpt-5,dee',
    ]);
    expect(events.map((e) => [e.user, e.source_ref])).toEqual([
      ['bob', 'test.in:3'],
      ['cy', 'test.in:4'],
      ['dee', 'test.in:6'],
    ]);
    expect(skips).toEqual([
      {
        ref: 'test.in:2',
        code: 'SRC_BAD_CSV',
        reason:
          'quoted field never closed before the end of the file; the lines after it were read as rows of one line each',
      },
    ]);
  });

  it('reports text after the closing quote of a cell, instead of dropping it', () => {
    const { events, skips } = parseLines(csvSource, [
      'ts,model,input_tokens',
      '2026-11-03T10:00:00Z,gpt-5,"1"200',
      '2026-11-03T10:00:01Z,gpt-5,"1200"',
    ]);
    expect(events.map((e) => [e.input_tokens, e.source_ref])).toEqual([[1200, 'test.in:3']]);
    expect(skips).toEqual([
      {
        ref: 'test.in:2',
        code: 'SRC_BAD_CSV',
        reason: 'text after the closing quote of a cell; quote the whole cell, doubling the quotes inside it',
      },
    ]);
  });

  it('loses only the row of a stray quote that a later row closes: the rows between are read', () => {
    const { events, skips } = parseLines(csvSource, [
      'ts,model,user',
      '2026-11-03T10:00:00Z,gpt-5,"ana',
      '2026-11-03T10:00:01Z,gpt-5,bob',
      '2026-11-03T10:00:02Z,gpt-5,"cy"',
      '2026-11-03T10:00:03Z,gpt-5,dee',
    ]);
    expect(events.map((e) => [e.user, e.source_ref])).toEqual([
      ['bob', 'test.in:3'],
      ['cy', 'test.in:4'],
      ['dee', 'test.in:5'],
    ]);
    expect(skips).toEqual([
      {
        ref: 'test.in:2',
        code: 'SRC_BAD_CSV',
        reason:
          'text after the closing quote of a cell; quote the whole cell, doubling the quotes inside it (the quote opened on this line closed on line 4; the lines after this one were read as rows of their own)',
      },
    ]);
  });

  it('reads a file with a stray quote in time linear in its length', () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `2026-11-03T10:00:00Z,gpt-5,${i}`);
    const started = performance.now();
    const { events, skips } = parseLines(csvSource, [
      'ts,model,input_tokens',
      '2026-11-03,gpt-5,"1',
      ...rows,
    ]);
    // Each line read once: well under a second. Splitting the open record again on every line took 20 s.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(events).toHaveLength(40_000);
    expect(skips.map((s) => s.ref)).toEqual(['test.in:2']);
  });

  it('reads a quoted field over many lines in time linear in its length', () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i}`);
    const started = performance.now();
    const { events } = parseLines(csvSource, [
      'ts,model,tag.note',
      `2026-11-03,gpt-5,"${lines[0]}`,
      ...lines.slice(1, -1),
      `${lines.at(-1)}"`,
      '2026-11-04,gpt-5,after',
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(events.map((e) => [e.tags.note, e.source_ref])).toEqual([
      [lines.join('\n'), 'test.in:2'],
      ['after', 'test.in:40002'],
    ]);
  });
});
