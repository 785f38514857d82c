import { TokenledgerError } from '../errors.js';
import { type CallContent, callContentJson } from '../ledger/call-content.js';
import { purgeContent, readContent } from '../ledger/content-audit.js';
import { isLedgerId } from '../ledger/event-id.js';
import { formatTimestamp, parseEventTime } from '../ledger/time.js';
import { cliActor, type LedgerOptions, nowMicros, withRecords, withStore } from './context.js';
import { type FilterOptions, parseRange, whereFilters } from './filters.js';
import { counted } from './group-digits.js';

export interface PurgeContentOptions extends LedgerOptions, FilterOptions {}

/**
 * `events --purge-content --where … [--since] [--until]`: deletes the stored text of the calls chosen, one person's
 * on request (`--where user=…`), a key's or a team's; their events, costs and reports stay. Nothing chosen is an
 * error, not everything: erasing all text must be asked for with a range.
 */
export async function purgeContentCommand(o: PurgeContentOptions, out: (s: string) => void): Promise<void> {
  const filters = await whereFilters(o);
  const range = parseRange(o);
  if (filters.length === 0 && range.since === undefined && range.until === undefined)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      '--purge-content needs --where, --since or --until: the calls whose text to delete (--where user=alice@example.com; ' +
        '--until 2000-01-01 … every call: --since 2000-01-01)',
    );
  const { deleted } = await withStore(
    o,
    // Through the running server, the server records the erasure (ledger/content-audit.ts).
    (store) =>
      store.id === 'remote'
        ? store.purgeContent({ filters, ...range })
        : withRecords(o, (r) => purgeContent(store, r.contentAudit, cliActor(), { filters, ...range })),
    { existing: true },
  );
  out(`deleted the prompt and completion text of ${counted(deleted, 'call')}; their events and costs stay\n`);
}

export interface EventContentOptions extends LedgerOptions {
  /** The event id (`events --content ID`). */
  content: string;
  ts?: string;
  format?: string;
}

/**
 * `events --content ID --ts TS`: the stored request and completion of one gateway call (ledger/call-content.ts), on
 * the file or through the running server, as `GET /api/events/{id}/content` answers an admin. Text is printed as
 * stored, never reformatted: it is the record of what was sent.
 */
export async function eventContentCommand(o: EventContentOptions, out: (s: string) => void): Promise<void> {
  const format = o.format ?? 'table';
  if (format !== 'table' && format !== 'json')
    throw new TokenledgerError('CLI_BAD_OPTION', `--format ${format} with --content: use table or json`);
  const { id, ts } = address(o);
  const found = await withStore(
    o,
    // Through the running server, the server records the read (ledger/content-audit.ts).
    (store) =>
      store.id === 'remote'
        ? store.content(id, ts)
        : withRecords(o, (r) => readContent(store, r.contentAudit, cliActor(), id, ts)),
    { existing: true },
  );
  if (found === null)
    throw new TokenledgerError(
      'CLI_CONTENT_NOT_FOUND',
      `no prompt or completion stored for event ${id} at ${formatTimestamp(ts)}: the text of a call is kept only ` +
        'when it came through the gateway with a virtual key created with `tokenledger keys create --store-content` ' +
        '(check the id and ts with `tokenledger events --format json`)',
    );
  // The API's shape, so a script reads both alike.
  out(format === 'json' ? `${JSON.stringify(callContentJson(found), null, 2)}\n` : contentText(found));
}

function contentText(c: CallContent): string {
  const block = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  return (
    `event ${c.event_id} at ${formatTimestamp(c.ts)}\n\nrequest:\n${block(c.request)}\n` +
    `completion:\n${block(c.completion)}`
  );
}

function address(o: EventContentOptions): { id: string; ts: number } {
  if (!isLedgerId(o.content))
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--content ${JSON.stringify(o.content)}: expected an event id, 16 hex digits, as \`tokenledger events\` prints it`,
    );
  // A call's text is stored as its event is, by id and time (the API asks for both too).
  if (o.ts === undefined)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      '--content needs --ts, the event time: its ts from `tokenledger events --format json` or ts_us from the API',
    );
  try {
    return { id: o.content, ts: parseEventTime(o.ts, nowMicros()) };
  } catch {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--ts ${JSON.stringify(o.ts)}: expected the event time, its ts from \`tokenledger events --format json\` ` +
        '(2026-11-28T10:00:00.123456Z) or epoch µs',
    );
  }
}
