import { crc32 } from 'node:zlib';
import { TokenledgerError } from '../../errors.js';
import type { AttributionPatch } from '../attribution-patch.js';
import type { CallContent } from '../call-content.js';
import { EVENT_FIELDS, RATE_FIELDS, type RateCard, type UsageEvent } from '../event.js';

/**
 * One WAL record per line: `<crc32 as 8 hex> <JSON>\n`. The checksum tells a torn tail (a write the kill interrupted,
 * never acknowledged) from a good record, so replay never reads half an event. Bigints (money, rates) travel as
 * decimal strings so nothing on the cost path ever becomes a float.
 *
 * Version 6 (written now): the JSON is an array, `[6, …every EVENT_FIELDS value in order, rates]`, rates being null
 * or the eleven rates in RATE_FIELDS order. Against version 1 (an object with ~45 keys, still read at replay) it is
 * 40% of the bytes (419 against 1038 for a gateway call) and a quarter less encoding CPU, paid on every call.
 * Positions follow EVENT_FIELDS: a change to its order or length needs a new VERSION (a length change is caught).
 * Many events written together (an OTLP export's, a gateway's calls in one group commit) are batch records instead,
 * one line for up to 1,000 (BATCH).
 *
 * Older records are still read at replay, so a log a previous version wrote before a crash loses nothing: version 5
 * is version 6 without `audio_ms` (after `output_image_tokens`) and without the `audio_hour` rate (last), and a batch
 * line of its time lacks the same column and rate; it billed no audio by its duration, so it reads as 0 ms at a
 * rate of 0. Version 4
 * is version 5 without `input_image_tokens` and `output_image_tokens` (after `output_audio_tokens`) and without the
 * two image rates, and a batch line of its time lacks the same two columns and rates; version 3 is version 4 without
 * `input_audio_tokens` and `output_audio_tokens` (after `web_search_requests`) and without the two audio rates;
 * version 2 is version 3 without `web_search_requests` (after `reasoning_tokens`) and without the `web_search` rate;
 * version 1 is an object. None of them counted images apart, and versions 3 to 1 not audio: they read as 0 such
 * tokens with those rates equal to the text rates (what a model without audio or image prices has); versions 2 and 1
 * had no web search fee, so they read as 0 searches at a rate of 0.
 */
const VERSION = 6;
const FIELDS: readonly string[] = EVENT_FIELDS;
const MONEY_FIELDS = [
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
  'provider_cost_usd',
] as const;
const RATES_AT = FIELDS.length + 1;
/** Where version 6 put `audio_ms` (after output_image_tokens); version 5's records are 1 shorter. */
const AUDIO_MS_AT = FIELDS.indexOf('audio_ms') + 1;
const V5_LENGTH = RATES_AT;
/** Where version 5 put the image counts (after output_audio_tokens); version 4's records are 2 shorter. */
const IMAGE_AT = FIELDS.indexOf('input_image_tokens') + 1;
const V4_LENGTH = V5_LENGTH - 2;
/** Where version 4 put the audio counts (after web_search_requests); version 3's records are 2 shorter. */
const AUDIO_AT = FIELDS.indexOf('input_audio_tokens') + 1;
const V3_LENGTH = V4_LENGTH - 2;
/** Where version 3 put `web_search_requests` (after reasoning_tokens); version 2's records are 1 shorter. */
const SEARCHES_AT = FIELDS.indexOf('web_search_requests') + 1;
const V2_LENGTH = V3_LENGTH - 1;

/**
 * A batch record: many events in one line, `["events", n, …a column per EVENT_FIELDS field, cards, card index]`, for
 * the events of one OTLP export (encodeRecords). A column is its n values, or one value when all n share it (a
 * batch's time of receipt, its service, its team, a zero cache-write cost). The rate cards are listed once each,
 * every event naming its card by index. An export's spans share most of their fields, so against a version-6 line
 * per event this is a third of the bytes and of the encoding CPU, on the OTLP worker's path to every
 * acknowledgement (bench/HISTORY.md, OTLP ingest, thirty-third session). Positions follow jsonOf's.
 */
const BATCH = 'events';
const BATCH_LENGTH = RATES_AT + 3;
/** A batch line version 5 wrote: one column fewer (audio_ms), its cards ten rates. */
const V5_BATCH_LENGTH = BATCH_LENGTH - 1;
/** A batch line version 4 wrote: two columns fewer than version 5's (the image counts), its cards eight rates. */
const V4_BATCH_LENGTH = V5_BATCH_LENGTH - 2;
const TAGS_AT = FIELDS.indexOf('tags') + 1;
const MONEY_AT: readonly number[] = MONEY_FIELDS.map((f) => FIELDS.indexOf(f) + 1);
/**
 * Events per batch line: bounds a line's length (~200 bytes an event, against a string limit of 2^29 characters)
 * and what one damaged line takes with it.
 */
const BATCH_MAX = 1000;

/** The version-6 record of `e`: rowOf's values, money and rates as decimal strings. */
function jsonOf(e: UsageEvent): string {
  const row = rowOf(e);
  row[0] = VERSION;
  for (const p of MONEY_AT) row[p] = money(row[p] as bigint | null);
  row[RATES_AT] = ratesOf(e.rates);
  return JSON.stringify(row);
}

/**
 * The event's values in EVENT_FIELDS order from position 1 (0 is left for a record's version), then its rate card;
 * money as bigints: a version-6 record (jsonOf) or a batch line's row (batchJsonOf), before anything becomes text.
 * Every field is read by name (codec tests hold the order equal to EVENT_FIELDS): a loop reading `e[FIELDS[i]]`,
 * the name varying, is a megamorphic keyed load per field; written out, encoding an OTLP span's event went from
 * ~4.3 to ~2.8 µs.
 */
function rowOf(e: UsageEvent): unknown[] {
  return [
    0,
    e.event_id,
    e.source,
    e.source_ref,
    e.ingested_at,
    e.ts,
    e.duration_ms,
    e.ttft_ms,
    e.org,
    e.team,
    e.user,
    e.project,
    e.agent,
    e.session_id,
    e.task_id,
    e.environment,
    e.api_key_id,
    e.tags,
    e.provider,
    e.model,
    e.model_requested,
    e.operation,
    e.service_tier,
    e.route_id,
    e.requests,
    e.input_tokens,
    e.cache_read_tokens,
    e.cache_write_5m_tokens,
    e.cache_write_1h_tokens,
    e.output_tokens,
    e.reasoning_tokens,
    e.web_search_requests,
    e.input_audio_tokens,
    e.output_audio_tokens,
    e.input_image_tokens,
    e.output_image_tokens,
    e.audio_ms,
    e.cost_usd,
    e.cost_input,
    e.cost_cache_read,
    e.cost_cache_write,
    e.cost_output,
    e.cost_source,
    e.price_version,
    e.provider_cost_usd,
    e.energy_j,
    e.energy_source,
    e.status,
    e.error_type,
    e.rates,
  ];
}

const money = (v: bigint | null): string | null => (v === null ? null : v.toString());

/** A rate card's eleven rates as decimal strings, worked out once per card (events of one model share it). */
const rateStrings = new WeakMap<RateCard, string[]>();
function ratesOf(r: RateCard | null | undefined): string[] | null {
  if (r === null || r === undefined) return null;
  let s = rateStrings.get(r);
  if (s === undefined) {
    s = [
      r.input.toString(),
      r.cache_read.toString(),
      r.cache_write_5m.toString(),
      r.cache_write_1h.toString(),
      r.output.toString(),
      r.web_search.toString(),
      r.input_audio.toString(),
      r.output_audio.toString(),
      r.input_image.toString(),
      r.output_image.toString(),
      r.audio_hour.toString(),
    ];
    rateStrings.set(r, s);
  }
  return s;
}

export function encodeRecord(e: UsageEvent): Buffer {
  const json = jsonOf(e);
  const line = Buffer.allocUnsafe(json.length * 3 + 10);
  return line.subarray(0, writeLine(line, 0, json));
}

/** Writes `json` as a checksummed line at `at` (room for json.length * 3 + 10 bytes); returns where it ends. */
function writeLine(buf: Buffer, at: number, json: string): number {
  const n = buf.write(json, at + 9, 'utf8');
  const crc = crc32(buf.subarray(at + 9, at + 9 + n));
  buf.write(
    HEX[crc >>> 24]! + HEX[(crc >>> 16) & 255]! + HEX[(crc >>> 8) & 255]! + HEX[crc & 255]!,
    at,
    'latin1',
  );
  buf[at + 8] = 0x20;
  buf[at + 9 + n] = 0x0a;
  return at + n + 10;
}

/**
 * Events in one buffer: one event as its version-6 line (a gateway call written alone), more as batch lines of
 * at most BATCH_MAX events each. Every line checksummed, as for records appended one by one.
 */
export function encodeRecords(events: readonly UsageEvent[]): Buffer {
  if (events.length === 0) return EMPTY;
  if (events.length === 1) return encodeRecord(events[0]!);
  const jsons: string[] = [];
  let room = 0;
  for (let from = 0; from < events.length; from += BATCH_MAX) {
    const json = batchJsonOf(events, from, Math.min(from + BATCH_MAX, events.length));
    jsons.push(json);
    // Exactly: an export may be tens of MB of lines, where 3 bytes a character (UTF-8's most) would triple it. 10 for
    // the checksum, the space and the newline.
    room += Buffer.byteLength(json) + 10;
  }
  const buf = Buffer.allocUnsafe(room);
  let at = 0;
  for (const json of jsons) at = writeLine(buf, at, json);
  return buf.subarray(0, at);
}

/** The batch line of events[from, to): see BATCH. */
function batchJsonOf(events: readonly UsageEvent[], from: number, to: number): string {
  const rows: unknown[][] = [];
  for (let i = from; i < to; i++) rows.push(rowOf(events[i]!));
  const line: unknown[] = [BATCH, rows.length];
  for (let p = 1; p < RATES_AT; p++) line.push(column(rows, p));
  const cards: (string[] | null)[] = [];
  const cardAt = new Map<RateCard | null, number>();
  const index: number[] = [];
  for (const row of rows) {
    const card = (row[RATES_AT] ?? null) as RateCard | null;
    let k = cardAt.get(card);
    if (k === undefined) {
      k = cards.length;
      cardAt.set(card, k);
      cards.push(ratesOf(card));
    }
    index.push(k);
  }
  line.push(cards, cards.length === 1 ? [0] : index);
  return JSON.stringify(line);
}

/** Position `p` of every row: all n values, or the one value they all share; money as decimal strings. */
function column(rows: readonly unknown[][], p: number): unknown[] {
  const first = rows[0]![p];
  let i = 1;
  if (p === TAGS_AT) while (i < rows.length && sameTags(rows[i]![p] as Tags, first as Tags)) i++;
  else while (i < rows.length && rows[i]![p] === first) i++;
  const isMoney = MONEY_AT.includes(p);
  if (i === rows.length) return [isMoney ? money(first as bigint | null) : first];
  const values: unknown[] = [];
  for (const row of rows) values.push(isMoney ? money(row[p] as bigint | null) : row[p]);
  return values;
}

type Tags = Record<string, string>;
function sameTags(a: Tags, b: Tags): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

const EMPTY = Buffer.alloc(0);
/** Bytes as 2 lowercase hex digits: a checksum's text without toString and padStart per line. */
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The event in one line (without its newline), or null when the line is torn or corrupt. A record of an unknown
 * version throws LEDGER_WAL_VERSION.
 */
export function decodeRecord(line: Buffer): UsageEvent | null {
  const r = decodeLine(line);
  return r === null || Array.isArray(r) || !isEvent(r) ? null : r;
}

/**
 * What one line of the log holds: an event, or a record that follows events (an attribution patch, a call's text, the
 * OTLP receiver's state lines).
 */
type LogRecord = UsageEvent | AttributionPatch | CallContent | OtlpState;

/**
 * The record in one line (without its newline): a batch line's events, or null when the line is torn or corrupt. A
 * record of an unknown version throws LEDGER_WAL_VERSION.
 */
function decodeLine(line: Buffer): LogRecord | UsageEvent[] | null {
  if (line.length < 10 || line[8] !== 0x20) return null;
  const body = line.subarray(9);
  if (line.toString('latin1', 0, 8) !== crc32(body).toString(16).padStart(8, '0')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (Array.isArray(raw)) {
    if (raw[0] === PATCH) return patchOf(raw, 0);
    if (raw[0] === CONTENT) return contentOf(raw, 0);
    if (raw[0] === STATE) return stateOf(raw, 0);
    if (raw[0] === BATCH) return batchOf(raw, 0);
    if (raw[0] === 5 && raw.length === V5_LENGTH) return version6(fromVersion5(raw));
    if (raw[0] === 4 && raw.length === V4_LENGTH) return version6(fromVersion5(fromVersion4(raw)));
    if (raw[0] === 3 && raw.length === V3_LENGTH)
      return version6(fromVersion5(fromVersion4(fromVersion3(raw))));
    if (raw[0] === 2 && raw.length === V2_LENGTH)
      return version6(fromVersion5(fromVersion4(fromVersion3(fromVersion2(raw)))));
    if (raw[0] !== VERSION || raw.length !== RATES_AT + 1)
      // The checksum held, so this is no torn write: a newer server wrote it. Skipping it would lose the event.
      throw new TokenledgerError(
        'LEDGER_WAL_VERSION',
        `write-ahead log record of version ${JSON.stringify(raw[0])} with ${raw.length - 1} fields; this tokenledger reads version ${VERSION} with ${RATES_AT} fields (and versions 5, 4, 3, 2 and 1, and batch records); run the tokenledger version that wrote it to replay it`,
      );
    return version6(raw);
  }
  return typeof raw === 'object' && raw !== null ? fromObject(raw as Record<string, unknown>) : null;
}

// biome-ignore lint/suspicious/noExplicitAny: a version-6 record, as fromArray reads it.
const version6 = (a: any[]): UsageEvent => fromArray(a, cardOf(a[RATES_AT], undefined));

/**
 * A version-2 record as version 3: no searches (the field came with the fee, so a record without it had none) and,
 * when it has rates, a web search rate of 0 (its cost was computed without one).
 */
// biome-ignore lint/suspicious/noExplicitAny: a checked v2 record, as fromArray reads it.
function fromVersion2(a: any[]): any[] {
  const v3 = [3, ...a.slice(1, SEARCHES_AT), 0, ...a.slice(SEARCHES_AT)];
  const rates = v3[V3_LENGTH - 1];
  if (Array.isArray(rates) && rates.length === 5) v3[V3_LENGTH - 1] = [...rates, '0'];
  return v3;
}

/**
 * A version-3 record as version 4: no audio tokens (audio was not counted apart) and, when it has rates, audio
 * rates equal to its input and output rates (what any token was priced at).
 */
// biome-ignore lint/suspicious/noExplicitAny: a checked v3 record, as fromArray reads it.
function fromVersion3(a: any[]): any[] {
  const v4 = [4, ...a.slice(1, AUDIO_AT), 0, 0, ...a.slice(AUDIO_AT)];
  const rates = v4[V4_LENGTH - 1];
  if (Array.isArray(rates) && rates.length === 6) v4[V4_LENGTH - 1] = [...rates, rates[0], rates[4]];
  return v4;
}

/**
 * A version-4 record as version 5: no image tokens (images were not counted apart) and, when it has rates, image
 * rates equal to its input and output rates.
 */
// biome-ignore lint/suspicious/noExplicitAny: a checked v4 record, as fromArray reads it.
function fromVersion4(a: any[]): any[] {
  const v5 = [5, ...a.slice(1, IMAGE_AT), 0, 0, ...a.slice(IMAGE_AT)];
  v5[V5_LENGTH - 1] = withImageRates(v5[V5_LENGTH - 1]);
  return v5;
}

/** Eight rates (version 4's card) as ten: the image rates are the text input and output rates. */
const withImageRates = (r: unknown): unknown => (Array.isArray(r) && r.length === 8 ? [...r, r[0], r[4]] : r);

/** A batch line version 4 wrote, as version 5 wrote it: a column of 0 for each image count, ten rates a card. */
// biome-ignore lint/suspicious/noExplicitAny: the parsed line, checked by batchOf.
function fromVersion4Batch(a: any[]): any[] {
  const at = IMAGE_AT + 1; // a column's place in the line: after BATCH and n, at its field's position + 1
  const v5 = [...a.slice(0, at), [0], [0], ...a.slice(at)];
  const list = v5[V5_BATCH_LENGTH - 2];
  if (Array.isArray(list)) v5[V5_BATCH_LENGTH - 2] = list.map(withImageRates);
  return v5;
}

/**
 * A version-5 record as version 6: no audio billed by its duration (it was not counted) and, when it has rates, an
 * audio rate per hour of 0 (its cost was computed without one).
 */
// biome-ignore lint/suspicious/noExplicitAny: a checked v5 record, as fromArray reads it.
function fromVersion5(a: any[]): any[] {
  const v6 = [VERSION, ...a.slice(1, AUDIO_MS_AT), 0, ...a.slice(AUDIO_MS_AT)];
  v6[RATES_AT] = withAudioHour(v6[RATES_AT]);
  return v6;
}

/** Ten rates (version 5's card) as eleven: no rate per hour of audio. */
const withAudioHour = (r: unknown): unknown => (Array.isArray(r) && r.length === 10 ? [...r, '0'] : r);

/** A batch line version 5 wrote, as version 6 writes it: a column of 0 for audio_ms, eleven rates a card. */
// biome-ignore lint/suspicious/noExplicitAny: the parsed line, checked by batchOf.
function fromVersion5Batch(a: any[]): any[] {
  const at = AUDIO_MS_AT + 1; // after BATCH and n, as in fromVersion4Batch
  const v6 = [...a.slice(0, at), [0], ...a.slice(at)];
  const list = v6[BATCH_LENGTH - 2];
  if (Array.isArray(list)) v6[BATCH_LENGTH - 2] = list.map(withAudioHour);
  return v6;
}

/**
 * A version-6 record's event, field by field in jsonOf's order (the return type makes a missing field a compile
 * error), with its rate card (cardOf). Written out, it builds one object of a fixed shape; assigning the names in a
 * loop made a dictionary-mode object per event, ~2 µs more to build and slower for every reader after it (the
 * store's drain reads each field).
 */
// biome-ignore lint/suspicious/noExplicitAny: a checked v2 record; each position's type is the field's (round-trip tests).
function fromArray(a: any[], rates: RateCard | null): UsageEvent {
  return {
    event_id: a[1],
    source: a[2],
    source_ref: a[3],
    ingested_at: a[4],
    ts: a[5],
    duration_ms: a[6],
    ttft_ms: a[7],
    org: a[8],
    team: a[9],
    user: a[10],
    project: a[11],
    agent: a[12],
    session_id: a[13],
    task_id: a[14],
    environment: a[15],
    api_key_id: a[16],
    tags: a[17],
    provider: a[18],
    model: a[19],
    model_requested: a[20],
    operation: a[21],
    service_tier: a[22],
    route_id: a[23],
    requests: a[24],
    input_tokens: a[25],
    cache_read_tokens: a[26],
    cache_write_5m_tokens: a[27],
    cache_write_1h_tokens: a[28],
    output_tokens: a[29],
    reasoning_tokens: a[30],
    web_search_requests: a[31],
    input_audio_tokens: a[32],
    output_audio_tokens: a[33],
    input_image_tokens: a[34],
    output_image_tokens: a[35],
    audio_ms: a[36],
    cost_usd: bigOrNull(a[37]),
    cost_input: bigOrNull(a[38]),
    cost_cache_read: bigOrNull(a[39]),
    cost_cache_write: bigOrNull(a[40]),
    cost_output: bigOrNull(a[41]),
    cost_source: a[42],
    price_version: a[43],
    provider_cost_usd: bigOrNull(a[44]),
    energy_j: a[45],
    energy_source: a[46],
    status: a[47],
    error_type: a[48],
    rates,
  };
}

/**
 * A batch line's events (BATCH), each built as its version-6 record would be; a line version 5 or 4 wrote is read
 * as version 6 writes it. Events share their rate card objects
 * (with `cards`, those of other lines too), not their tags.
 */
// biome-ignore lint/suspicious/noExplicitAny: the parsed line, checked here.
function batchOf(line: any[], at: number, cards = new Map<string, RateCard>()): UsageEvent[] {
  const a =
    line.length === V5_BATCH_LENGTH
      ? fromVersion5Batch(line)
      : line.length === V4_BATCH_LENGTH
        ? fromVersion5Batch(fromVersion4Batch(line))
        : line;
  const n = a[1];
  const columns = a.slice(2, RATES_AT + 1) as unknown[][];
  const [list, index] = a.slice(RATES_AT + 1) as [unknown, number[]];
  const fits = (c: unknown) => Array.isArray(c) && (c.length === 1 || c.length === n);
  if (
    a.length !== BATCH_LENGTH ||
    !Number.isSafeInteger(n) ||
    n < 1 ||
    !columns.every(fits) ||
    !Array.isArray(list) ||
    !fits(index)
  )
    throw new TokenledgerError(
      'LEDGER_WAL_VERSION',
      `write-ahead log batch record at byte ${at} is not ["events", n, ${RATES_AT - 1} columns, cards, card index]; run the tokenledger version that wrote it to replay it`,
    );
  const rateCards = (list as (string[] | null)[]).map((r) => cardOf(r, cards));
  const events: UsageEvent[] = [];
  const row: unknown[] = [VERSION];
  for (let i = 0; i < n; i++) {
    for (let p = 1; p < RATES_AT; p++) {
      const c = columns[p - 1]!;
      row[p] = c.length === 1 ? c[0] : c[i];
    }
    // One tags object an event, as when each had its line: a reader may change an event's own.
    if (columns[TAGS_AT - 1]!.length === 1) row[TAGS_AT] = { ...(row[TAGS_AT] as Tags) };
    const card = rateCards[index.length === 1 ? index[0]! : index[i]!];
    if (card === undefined)
      throw new TokenledgerError(
        'LEDGER_WAL_VERSION',
        `write-ahead log batch record at byte ${at}: event ${i} names no rate card of the record's list`,
      );
    events.push(fromArray(row, card));
  }
  return events;
}

const bigOrNull = (v: string | null | undefined): bigint | null =>
  v === null || v === undefined ? null : BigInt(v);

/** The rate card of eleven decimal strings; with `cards`, one object per distinct card (events of a model share it). */
function cardOf(r: string[] | null, cards: Map<string, RateCard> | undefined): RateCard | null {
  if (r === null) return null;
  const key = cards === undefined ? '' : r.join(',');
  let card = cards?.get(key);
  if (card === undefined) {
    card = {
      input: BigInt(r[0]!),
      cache_read: BigInt(r[1]!),
      cache_write_5m: BigInt(r[2]!),
      cache_write_1h: BigInt(r[3]!),
      output: BigInt(r[4]!),
      web_search: BigInt(r[5]!),
      input_audio: BigInt(r[6]!),
      output_audio: BigInt(r[7]!),
      input_image: BigInt(r[8]!),
      output_image: BigInt(r[9]!),
      audio_hour: BigInt(r[10]!),
    };
    cards?.set(key, card);
  }
  return card;
}

/**
 * Version 1: the event as a JSON object (segments left by an older server are replayed as they were written). It
 * predates the web search fee, audio and images: no searches and a web search rate of 0, no audio or image tokens and
 * their rates equal to the text rates, no audio billed by its duration and a rate per hour of 0.
 */
function fromObject(raw: Record<string, unknown>): UsageEvent {
  for (const f of MONEY_FIELDS) {
    const v = raw[f];
    raw[f] = v === null || v === undefined ? null : BigInt(v as string);
  }
  raw.web_search_requests ??= 0;
  raw.input_audio_tokens ??= 0;
  raw.output_audio_tokens ??= 0;
  raw.input_image_tokens ??= 0;
  raw.output_image_tokens ??= 0;
  raw.audio_ms ??= 0;
  if (raw.rates !== null && raw.rates !== undefined) {
    const r = raw.rates as Record<string, string>;
    const rates = {} as RateCard;
    for (const f of RATE_FIELDS) rates[f] = BigInt(r[f] ?? '0');
    rates.input_audio = rates.input;
    rates.output_audio = rates.output;
    rates.input_image = rates.input;
    rates.output_image = rates.output;
    raw.rates = rates;
  } else raw.rates = null;
  return raw as unknown as UsageEvent;
}

/**
 * Splits a segment's bytes into records; `bad` counts lines that failed their checksum. Segments are preallocated
 * with zero bytes and a record never contains one (JSON escapes control characters), so zero bytes are what was never
 * written: usually the rest of the segment, but a machine crash can leave a hole of them where a page never reached
 * the disk, and the records after it are read too (a zero byte ends a line as a newline does).
 *
 * A bad line after which a record still reads is `damaged`: not a torn last write, which was never acknowledged, but
 * a record the log held and lost (a corrupt disk, a page the crash took). Those lines are returned, to be kept and
 * reported; a torn tail is only counted.
 */
export function decodeSegment(bytes: Buffer): {
  events: UsageEvent[];
  /** Attribution patches, in log order; each follows the events it names (replay applies them after). */
  patches: AttributionPatch[];
  /** Calls' text, each after its event (replay stores them after the segment's events). */
  contents: CallContent[];
  /** The OTLP receiver's state lines (OtlpState), in log order. */
  state: string[];
  bad: number;
  /** The bad lines that a readable record follows, as they are in the segment. */
  damaged: Buffer[];
} {
  const events: UsageEvent[] = [];
  const patches: AttributionPatch[] = [];
  const contents: CallContent[] = [];
  const state: string[] = [];
  const damaged: Buffer[] = [];
  /** Bad lines not yet followed by a good one: a torn tail, unless a record reads after them. */
  let unread: Buffer[] = [];
  /**
   * A state record waiting for its export's lines (OtlpState.follows), with where the export's records begin: unless
   * every one of them reads, the export was cut short (never acknowledged) and none of it is kept.
   */
  let held: { lines: string[]; left: number; events: number; patches: number; contents: number } | null =
    null;
  const unheld = (h: typeof held): null => {
    if (h === null) return null;
    events.length = h.events;
    patches.length = h.patches;
    contents.length = h.contents;
    return null;
  };
  for (let start = 0; start >= 0 && start < bytes.length; ) {
    const zero = bytes.indexOf(0, start);
    const stop = zero < 0 ? bytes.length : zero;
    while (start < stop) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0 || end > stop) end = stop;
      if (end > start) {
        const line = bytes.subarray(start, end);
        const r = decodeLine(line);
        if (r === null) {
          unread.push(line);
          held = unheld(held);
        } else {
          for (const l of unread) damaged.push(l);
          unread = [];
          if (held !== null && --held.left === 0) {
            for (const l of held.lines) state.push(l);
            held = null;
          }
          if (Array.isArray(r)) for (const e of r) events.push(e);
          else if (isEvent(r)) events.push(r);
          else if (isContent(r)) contents.push(r);
          else if (isState(r) && r.follows > 0) {
            const at = { events: events.length, patches: patches.length, contents: contents.length };
            held = { lines: r.otlpState, left: r.follows, ...at };
          } else if (isState(r)) for (const l of r.otlpState) state.push(l);
          else patches.push(r);
        }
      }
      start = end + 1;
    }
    start = zero < 0 ? -1 : nextNonZero(bytes, zero);
  }
  // Cut short at a line's end: the export's last lines were never written.
  unheld(held);
  return { events, patches, contents, state, bad: damaged.length + unread.length, damaged };
}

const ZERO_CHUNK = Buffer.alloc(64 << 10);

/** The index of the first non-zero byte at or after `from`, or -1: a whole segment of zeros is compared natively. */
function nextNonZero(bytes: Buffer, from: number): number {
  for (let at = from; at < bytes.length; at += ZERO_CHUNK.length) {
    const end = Math.min(at + ZERO_CHUNK.length, bytes.length);
    if (bytes.subarray(at, end).equals(ZERO_CHUNK.subarray(0, end - at))) continue;
    for (let i = at; i < end; i++) if (bytes[i] !== 0) return i;
  }
  return -1;
}

/**
 * The events of records this process encoded and kept in memory (encodeRecords' output, handed to the log as
 * bytes): no checksums to check, since the bytes never left memory, and anything that does not decode is a bug,
 * so it throws rather than skips. Events of one rate card share one card object.
 */
export function decodeRecords(
  bytes: Buffer,
  patches?: AttributionPatch[],
  contents?: CallContent[],
): UsageEvent[] {
  const events: UsageEvent[] = [];
  const cards = new Map<string, RateCard>();
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const a = JSON.parse(bytes.toString('utf8', start + 9, end));
    // `[6,` for an event, `["events",`, `["attribution",`, `["content",` or `["otlp-state",` for the others: one
    // comparison on the event's path.
    if (bytes[start + 10] === QUOTE && a[0] === BATCH) {
      for (const e of batchOf(a, start, cards)) events.push(e);
      start = end + 1;
      continue;
    }
    if (bytes[start + 10] === QUOTE && (a[0] === PATCH || a[0] === CONTENT)) {
      if (a[0] === PATCH) (patches ?? notHere('an attribution patch', start)).push(patchOf(a, start));
      else (contents ?? notHere("a call's text", start)).push(contentOf(a, start));
      start = end + 1;
      continue;
    }
    // Not the store's: read back only by a replay at start-up, for the receiver's state file (OtlpState).
    if (bytes[start + 10] === QUOTE && a[0] === STATE) {
      start = end + 1;
      continue;
    }
    if (!Array.isArray(a) || a[0] !== VERSION || a.length !== RATES_AT + 1)
      throw new Error(`not a version-${VERSION} write-ahead log record at byte ${start}`);
    events.push(fromArray(a, cardOf(a[RATES_AT], cards)));
    start = end + 1;
  }
  return events;
}

function notHere(what: string, at: number): never {
  throw new Error(`${what} at byte ${at}, where only events were expected`);
}

/**
 * The attribution patch record, a kind of its own beside the event's (whose format is unchanged):
 * `["attribution", event_id, ts, agent, task_id]`, checksummed like every line. A tokenledger from before patches
 * refuses the record with LEDGER_WAL_VERSION rather than skipping it.
 */
const PATCH = 'attribution';
const QUOTE = 0x22;

function isEvent(r: LogRecord): r is UsageEvent {
  return 'source' in r;
}

function isContent(r: LogRecord): r is CallContent {
  return 'completion' in r;
}

function isState(r: LogRecord): r is OtlpState {
  return 'otlpState' in r;
}

export function encodePatches(patches: readonly AttributionPatch[]): Buffer {
  if (patches.length === 0) return EMPTY;
  const jsons = patches.map((p) => JSON.stringify([PATCH, p.event_id, p.ts, p.agent, p.task_id]));
  const buf = Buffer.allocUnsafe(jsons.reduce((n, j) => n + j.length * 3 + 10, 0));
  let at = 0;
  for (const j of jsons) at = writeLine(buf, at, j);
  return buf.subarray(0, at);
}

function patchOf(a: unknown[], at: number): AttributionPatch {
  const [, event_id, ts, agent, task_id] = a;
  const text = (v: unknown) => v === null || typeof v === 'string';
  if (
    a.length !== 5 ||
    typeof event_id !== 'string' ||
    !Number.isSafeInteger(ts) ||
    !text(agent) ||
    !text(task_id)
  )
    throw new TokenledgerError(
      'LEDGER_WAL_VERSION',
      `write-ahead log attribution record at byte ${at} is not ["attribution", event_id, ts, agent, task_id]; run the tokenledger version that wrote it to replay it`,
    );
  return { event_id, ts: ts as number, agent: agent as string | null, task_id: task_id as string | null };
}

/**
 * A call's text (ledger/call-content.ts), a record kind of its own written right after its event's:
 * `["content", event_id, ts, request, completion]`. A tokenledger from before it refuses the record with
 * LEDGER_WAL_VERSION rather than skipping it, as for patches.
 */
const CONTENT = 'content';

/** The event's line followed by its text's, one buffer: written, and acknowledged, together. */
export function encodeWithContent(e: UsageEvent, c: CallContent): Buffer {
  const event = jsonOf(e);
  const text = JSON.stringify([CONTENT, c.event_id, c.ts, c.request, c.completion]);
  // Sized exactly: a call's text may be megabytes, and three bytes a character would triple it.
  const buf = Buffer.allocUnsafe(Buffer.byteLength(event) + Buffer.byteLength(text) + 20);
  return buf.subarray(0, writeLine(buf, writeLine(buf, 0, event), text));
}

function contentOf(a: unknown[], at: number): CallContent {
  const [, event_id, ts, request, completion] = a;
  if (
    a.length !== 5 ||
    typeof event_id !== 'string' ||
    !Number.isSafeInteger(ts) ||
    typeof request !== 'string' ||
    typeof completion !== 'string'
  )
    throw new TokenledgerError(
      'LEDGER_WAL_VERSION',
      `write-ahead log content record at byte ${at} is not ["content", event_id, ts, request, completion]; run the tokenledger version that wrote it to replay it`,
    );
  return { event_id, ts: ts as number, request, completion };
}

/**
 * The OTLP receiver's state lines (src/server/otlp/ingest-journal.ts) that an export set (cumulative points, new
 * per-request keys), written before its events in the same write: `["otlp-state", follows, line, …]`, `follows` the number of the
 * export's lines after it. The state file gets them only after the log has them, so the two become durable together:
 * a replay at start-up appends a segment's state lines to the file before the segment goes (docs/otel/README.md,
 * Restarts). A kill can cut a write short: an export whose `follows` lines do not all read was never acknowledged,
 * and decodeSegment keeps none of it, as its events kept without its points (then written after them) made the next
 * point count their windows again, and its points kept without its events would lose them if the sender dropped it.
 * (Records of the first version of this kind, with no `follows`, came after their events: taken as they are.) A
 * tokenledger from before it refuses the record with LEDGER_WAL_VERSION rather than skipping it, as for patches.
 */
const STATE = 'otlp-state';

interface OtlpState {
  otlpState: string[];
  follows: number;
}

/** The record of `lines`, before `follows` lines of its export (none: no record). */
export function encodeOtlpState(lines: readonly string[], follows = 0): Buffer {
  if (lines.length === 0) return EMPTY;
  const json = JSON.stringify([STATE, follows, ...lines]);
  const buf = Buffer.allocUnsafe(Buffer.byteLength(json) + 10);
  return buf.subarray(0, writeLine(buf, 0, json));
}

/** An export's `records` led by the record of its state `lines` (encodeOtlpState), which names how many follow. */
export function withOtlpState(records: Buffer, lines: readonly string[]): Buffer {
  let follows = 0;
  for (let at = records.indexOf(0x0a); at >= 0; at = records.indexOf(0x0a, at + 1)) follows++;
  return Buffer.concat([encodeOtlpState(lines, follows), records]);
}

function stateOf(a: unknown[], at: number): OtlpState {
  const counted = typeof a[1] === 'number';
  const follows = counted ? (a[1] as number) : 0;
  const lines = a.slice(counted ? 2 : 1);
  if (!Number.isInteger(follows) || follows < 0 || !lines.every((l) => typeof l === 'string'))
    throw new TokenledgerError(
      'LEDGER_WAL_VERSION',
      `write-ahead log OTLP state record at byte ${at} is not ["otlp-state", follows, line, …]; run the tokenledger version that wrote it to replay it`,
    );
  return { otlpState: lines as string[], follows };
}
