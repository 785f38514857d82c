import { FilterBar, Loading, Panel, RangePicker } from '../controls';
import { count, exactDecimal, usd, usdExact, when } from '../format';
import { prettyJson } from '../pretty-json';
import { rangeOf, setParams } from '../url-state';
import { useApi } from '../use-api';

type Ev = Record<string, unknown> & { event_id: string; ts: string; ts_us: number; cost_usd: string | null };

interface Detail {
  event: Ev & { rates: Record<string, string> | null };
  cost: {
    method: string;
    formula?: string;
    note?: string;
    recomputed: Record<string, string> | null;
    matches?: boolean;
  };
}

const PARTS: [string, string, string[]][] = [
  ['Input', 'cost_input', ['input_tokens']],
  ['Cache read', 'cost_cache_read', ['cache_read_tokens']],
  ['Cache write', 'cost_cache_write', ['cache_write_5m_tokens', 'cache_write_1h_tokens']],
  ['Output', 'cost_output', ['output_tokens']],
];
const RATE: Record<string, string> = {
  input_tokens: 'input',
  cache_read_tokens: 'cache_read',
  cache_write_5m_tokens: 'cache_write_5m',
  cache_write_1h_tokens: 'cache_write_1h',
  output_tokens: 'output',
};
/**
 * Audio and image tokens are parts of input and output, priced at rates of their own (docs/pricing.md, "Audio" and
 * "Images"): [what, count field, rate] for each part of a field.
 */
const PRICED_APART: Record<string, [string, string, string][]> = {
  input_tokens: [
    ['audio', 'input_audio_tokens', 'input_audio'],
    ['image', 'input_image_tokens', 'input_image'],
  ],
  output_tokens: [
    ['audio', 'output_audio_tokens', 'output_audio'],
    ['image', 'output_image_tokens', 'output_image'],
  ],
};

/** A part's token counts and rates as shown: `text + audio + image` where the event has those in that part. */
function partCells(e: Detail['event'], fields: string[]): { tokens: string; rates: string } {
  const tokens: string[] = [];
  const rates: string[] = [];
  for (const f of fields) {
    const parts = (PRICED_APART[f] ?? []).filter(([, field]) => ((e[field] as number | undefined) ?? 0) > 0);
    const inParts = parts.reduce((n, [, field]) => n + (e[field] as number), 0);
    tokens.push(count((e[f] as number) - inParts));
    rates.push(exactDecimal(String(e.rates![RATE[f]!])));
    for (const [what, field, rate] of parts) {
      tokens.push(`${count(e[field] as number)} ${what}`);
      rates.push(`${exactDecimal(String(e.rates![rate]))} ${what}`);
    }
  }
  return { tokens: tokens.join(' + '), rates: rates.join(' / ') };
}

/** Milliseconds of audio as seconds, exactly (the ledger keeps ms: 9000 → "9.000"). */
function seconds(ms: number): string {
  return `${count(Math.floor(ms / 1000))}.${String(ms % 1000).padStart(3, '0')}`;
}

/** GET /api/events/{id}/content: what the gateway kept of a call made with a key created with --store-content. */
interface CallText {
  event_id: string;
  ts_us: number;
  request: string;
  completion: string;
}

function NoStoredText() {
  return (
    <p class="muted" data-testid="stored-text-none">
      No prompt or completion stored: they are kept only for calls made with a key created with
      --store-content.
    </p>
  );
}

/**
 * The call's stored prompt and completion. Asked for only when the viewer is an admin (the API refuses anyone else),
 * and quiet when there is none: most calls have none. The text is whatever people pasted, so it is rendered as text
 * in <pre>, never as HTML.
 */
function StoredText({ id, ts }: { id: string; ts: string }) {
  const c = useApi<CallText>(`/api/events/${id}/content`, new URLSearchParams({ ts }));
  // While it loads (also after a click on another event), nothing: not the previous call's text.
  if (c.loading) return null;
  if (c.data === null)
    return c.code === 'API_NOT_FOUND' ? (
      <NoStoredText />
    ) : (
      <p class="muted" data-testid="stored-text-none">
        The prompt and completion could not be loaded: {c.error}
      </p>
    );
  return (
    <section aria-labelledby="stored-text" data-testid="stored-text">
      <h3 id="stored-text">Prompt and completion</h3>
      <h4>Request</h4>
      <pre class="call-text" data-testid="stored-request">
        {prettyJson(c.data.request)}
      </pre>
      <h4>Completion</h4>
      <pre class="call-text" data-testid="stored-completion">
        {c.data.completion}
      </pre>
    </section>
  );
}

function EventDetail({ id, ts, admin }: { id: string; ts: string; admin: boolean }) {
  const d = useApi<Detail>(`/api/events/${id}`, new URLSearchParams({ ts }));
  const close = (
    <button type="button" onClick={() => setParams({ event: null, ts: null })}>
      Close
    </button>
  );
  // Loading, or failed (a shared link to an event this sign-in cannot see): the panel closes all the same.
  if (!d.data)
    return (
      <Panel title={`Event ${id}`} actions={close}>
        <Loading error={d.error} />
      </Panel>
    );
  const e = d.data.event;
  return (
    <Panel title={`Event ${e.event_id}`} actions={close}>
      <dl class="facts" data-testid="event-detail">
        <dt>Time</dt>
        <dd>{when(e.ts)}</dd>
        <dt>Model</dt>
        <dd>
          {String(e.provider ?? '')} {String(e.model)}
        </dd>
        <dt>Who</dt>
        <dd>
          {['team', 'user', 'project', 'agent', 'session_id']
            .filter((k) => e[k] !== null)
            .map((k) => `${k}=${e[k]}`)
            .join(' · ')}
        </dd>
        <dt>Source</dt>
        <dd>
          {String(e.source)} {e.source_ref ? `(${e.source_ref})` : ''}
        </dd>
        <dt>Status</dt>
        <dd data-testid="event-status">{statusText(e)}</dd>
        <dt>Price version</dt>
        <dd>{String(e.price_version ?? '—')}</dd>
        <dt>Cost</dt>
        <dd data-testid="event-cost">{usdExact(e.cost_usd)}</dd>
        <dt>Provider-reported cost</dt>
        <dd>{usdExact(e.provider_cost_usd as string | null)}</dd>
        {/* A window of GPU energy (docs/otel/gpu-energy.md), or a call whose source measured its energy. */}
        {e.energy_j !== null && e.energy_j !== undefined ? (
          <>
            <dt>Energy</dt>
            <dd data-testid="event-energy">
              {`${Number(e.energy_j).toLocaleString('en-US')} J`}
              {e.energy_source ? ` (${String(e.energy_source)})` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      <h3 data-testid="cost-how">
        {COST_HOW[String(e.cost_source)] ?? `How the cost was found (${e.cost_source})`}
      </h3>
      {/* Without a formula the call used nothing: a table of zero rates would read as the model's price. */}
      {e.rates && d.data.cost.formula ? (
        <div class="scroll">
          <table>
            <caption class="sr-only">Cost parts</caption>
            <thead>
              <tr>
                <th scope="col">Part</th>
                <th scope="col" class="num">
                  Tokens
                </th>
                <th scope="col" class="num">
                  Rate (USD / 1M)
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {PARTS.map(([label, cost, fields]) => {
                const cells = partCells(e, fields);
                return (
                  <tr key={cost}>
                    <th scope="row">{label}</th>
                    <td class="num">{cells.tokens}</td>
                    <td class="num">{cells.rates}</td>
                    <td class="num">{usdExact(e[cost] as string)}</td>
                  </tr>
                );
              })}
              {(e.web_search_requests as number) > 0 ? (
                // Searches are billed per search, not per token: their rate is per 1,000 and their fee is no part.
                <tr key="web_search">
                  <th scope="row">Web searches</th>
                  <td class="num">{count(e.web_search_requests as number)}</td>
                  <td class="num">{exactDecimal(String(e.rates.web_search))} / 1k searches</td>
                  <td class="num">{usdExact(d.data.cost.recomputed?.web_search_fee ?? null)}</td>
                </tr>
              ) : null}
              {(e.audio_ms as number) > 0 ? (
                // Audio billed by its duration, not per token: its rate is per hour and its fee is no part.
                <tr key="audio_duration" data-testid="audio-duration">
                  <th scope="row">Audio billed by duration</th>
                  <td class="num">{seconds(e.audio_ms as number)} s</td>
                  <td class="num">{exactDecimal(String(e.rates.audio_hour))} / hour</td>
                  <td class="num">{usdExact(d.data.cost.recomputed?.audio_fee ?? null)}</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <p class="muted">
        {d.data.cost.formula ?? d.data.cost.note}
        {d.data.cost.matches === true ? ' — recomputed now: matches the ledger.' : ''}
        {d.data.cost.matches === false ? ' — recomputed now: DIFFERS from the ledger.' : ''}
      </p>
      {/* Only the gateway keeps text: asking for any other call's would log a 404 and a read of nothing. */}
      {admin ? e.source === 'gateway' ? <StoredText id={id} ts={ts} /> : <NoStoredText /> : null}
    </Panel>
  );
}

/** A call's input tokens of every kind: uncached, cache reads and cache writes (5-minute and 1-hour). */
function tokensIn(e: Ev): number {
  return (
    (e.input_tokens as number) +
    (e.cache_read_tokens as number) +
    (e.cache_write_5m_tokens as number) +
    (e.cache_write_1h_tokens as number)
  );
}

/** The cost detail's heading by the event's cost_source (ledger/event.ts), in words. */
const COST_HOW: Record<string, string> = {
  computed: 'How the cost was computed',
  estimated:
    'How the cost was computed, from estimated tokens (the call ended early: its output was counted here)',
  provider: 'The cost as its source reported it',
  unpriced: 'No price: the cost is unknown',
};

/** `admin`: the viewer is an admin (/api/me), who alone may read a call's stored text. */
export function Events({ u, admin }: { u: URL; admin: boolean }) {
  const p = rangeOf(u);
  p.set('limit', '50');
  const cursor = u.searchParams.get('cursor');
  // The cursors of the newer pages, oldest last: "Newer" goes to the page before this one, whatever was opened or
  // followed since (history.back() would only close an opened event, or leave a shared link's page).
  const newer = u.searchParams.getAll('newer');
  if (cursor) p.set('cursor', cursor);
  const list = useApi<{ events: Ev[]; next_cursor: string | null }>('/api/events', p);
  const id = u.searchParams.get('event');
  const ts = u.searchParams.get('ts');
  // The download is every event of the range and filters, not the page on screen.
  const csv = rangeOf(u);
  csv.set('format', 'csv');
  // FOCUS is the whole ledger's spend over the range, for FinOps tools: no filter narrows it (admins only).
  const focus = rangeOf(u);
  focus.delete('where');
  return (
    <>
      <div class="toolbar">
        <h1>Events</h1>
        <RangePicker u={u} />
      </div>
      <FilterBar u={u} />
      {/* Keyed by the event: another selection starts as loading, never with the previous event's detail. */}
      {id && ts ? <EventDetail key={`${id}@${ts}`} id={id} ts={ts} admin={admin} /> : null}
      <Panel
        title="Audit trail (newest first)"
        actions={
          <span class="actions">
            <a class="button" href={`/api/events?${csv}`} download="events.csv">
              Download CSV
            </a>
            {admin ? (
              <a
                class="button"
                href={`/api/focus?${focus}`}
                download="focus.csv"
                title="The range's spend of every team as a FOCUS 1.2 dataset, for FinOps tools (filters not applied)"
              >
                Download FOCUS
              </a>
            ) : null}
          </span>
        }
      >
        {list.data ? (
          <>
            <div class="scroll">
              <table class="events">
                <caption class="sr-only">Events</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Team</th>
                    <th scope="col">User</th>
                    <th scope="col">Model</th>
                    <th scope="col" class="num">
                      Tokens in / out
                    </th>
                    <th scope="col" class="num">
                      Cost
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.events.map((e) => (
                    <tr key={e.event_id} aria-selected={e.event_id === id}>
                      <td>
                        <a
                          href={`?${new URLSearchParams(
                            [...u.searchParams.entries()]
                              .filter(([k]) => k !== 'event' && k !== 'ts')
                              .concat([
                                ['event', e.event_id],
                                ['ts', String(e.ts_us)],
                              ]),
                          )}`}
                          onClick={(ev) => {
                            ev.preventDefault();
                            setParams({ event: e.event_id, ts: String(e.ts_us) });
                          }}
                        >
                          {when(e.ts)}
                        </a>
                      </td>
                      <td>{String(e.team ?? '—')}</td>
                      <td>{String(e.user ?? '—')}</td>
                      <td>
                        {String(e.model)}
                        {e.status !== 'ok' ? <span class="muted"> ({statusText(e)})</span> : null}
                      </td>
                      <td class="num">
                        {count(tokensIn(e), true)} / {count(e.output_tokens as number, true)}
                      </td>
                      <td class="num">{e.cost_usd === null ? 'unpriced' : usd(e.cost_usd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {list.data.events.length === 0 ? <p class="muted">No events match.</p> : null}
            <nav class="pager" aria-label="Pages">
              {cursor ? (
                <button
                  type="button"
                  onClick={() =>
                    setParams({
                      cursor: newer.at(-1) ?? null,
                      newer: newer.slice(0, -1),
                      event: null,
                      ts: null,
                    })
                  }
                >
                  ← Newer
                </button>
              ) : null}
              {list.data.next_cursor ? (
                <button
                  type="button"
                  onClick={() =>
                    setParams({
                      cursor: list.data!.next_cursor,
                      newer: cursor ? [...newer, cursor] : [],
                      event: null,
                      ts: null,
                    })
                  }
                >
                  Older →
                </button>
              ) : null}
            </nav>
          </>
        ) : (
          <Loading error={list.error} />
        )}
      </Panel>
    </>
  );
}

/** "ok", "aborted", or "failed: rate_limited" (the error type, when the source gave one). */
function statusText(e: Record<string, unknown>): string {
  if (e.status !== 'error') return String(e.status);
  return e.error_type ? `failed: ${String(e.error_type)}` : 'failed';
}
