import type { Result } from '../api';
import { StackedChart, spendPer } from '../chart';
import { chartBucket } from '../chart-bucket';
import { FilterBar, Kpi, Loading, Panel, RangePicker, TopList } from '../controls';
import { count, percent, usd } from '../format';
import { rangeOf, setParams } from '../url-state';
import { useApi } from '../use-api';

interface Summary {
  cost_usd: string;
  tokens: number;
  requests: number;
  events: number;
  cost_per_1m_tokens_usd: string;
  cache_savings_usd: string;
  unpriced: { events: number; tokens: number };
  previous: { cost_usd: string | null; complete: boolean };
  month: { start: string; spend_usd: string; forecast_usd: string; budget_usd: string | null };
  overlaps: {
    provider: string;
    sources: string[];
    bucket_seconds: number[];
    first: string;
    last: string;
    days: number;
  }[];
}

/** A group of GET /api/metrics (docs/metrics.md): its dimension values, then the metrics. */
interface MetricsGroup {
  [dim: string]: string | number | null;
  priced_tokens: number;
  cost_per_1m_tokens_usd: string;
  cache_hit_rate: number | null;
  cache_savings_usd: string;
  /** Null without GPU energy telemetry (docs/otel/gpu-energy.md). */
  energy_j: number | null;
  tokens_per_joule: number | null;
}

const STACKS = ['model', 'provider', 'team'] as const;

function with_(p: URLSearchParams, extra: Record<string, string>): URLSearchParams {
  const q = new URLSearchParams(p);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

/**
 * The change against the previous period of the same length, only when the ledger's records reach back past its
 * start: a demo of 30 days, or a team that began using tokenledger last week, would otherwise read as "+6349142.5%".
 */
function change(now: string, previous: Summary['previous']): string {
  // A ledger that keeps only daily sums where the previous period starts (raw retention: docs/store.md).
  if (previous.cost_usd === null) return 'previous period kept only as daily sums';
  if (!previous.complete) return 'no full previous period to compare';
  const a = Number(now);
  const b = Number(previous.cost_usd);
  if (b === 0) return 'no spend in the previous period';
  const pct = ((a - b) / b) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}% vs previous period`;
}

function Top({ dim, title, range }: { dim: string; title: string; range: URLSearchParams }) {
  const r = useApi<Result>('/api/breakdown', with_(range, { dims: dim, top: '8' }));
  const drill = (v: string) => {
    const q = new URLSearchParams(range);
    q.append('where', `${dim}=${v}`);
    return `/events?${q}`;
  };
  return (
    <Panel title={title}>
      {r.data ? (
        <TopList rows={r.data.rows} dim={dim} total={Number(r.data.totals.cost_usd)} link={drill} />
      ) : (
        <Loading error={r.error} />
      )}
    </Panel>
  );
}

/**
 * What each model's tokens cost in effect, and how much of the prompts a cache served: the models whose spend a
 * cache would cut the most stand out. Costliest eight first, as the API orders them.
 */
function Efficiency({ range }: { range: URLSearchParams }) {
  const r = useApi<{ groups: MetricsGroup[] }>('/api/metrics', with_(range, { dims: 'model' }));
  const groups = r.data?.groups.slice(0, 8);
  // Tokens per joule only where GPU telemetry gave energy: for hosted APIs no one measures it.
  const energy = r.data?.groups.some((g) => g.energy_j !== null) ?? false;
  return (
    <Panel title="Efficiency by model">
      {!groups ? (
        <Loading error={r.error} />
      ) : groups.length === 0 ? (
        <p class="muted">No spend in this range.</p>
      ) : (
        <div class="scroll">
          <table data-testid="efficiency">
            <caption class="sr-only">
              Effective cost per 1M tokens, cache hit rate and cache savings by model
            </caption>
            <thead>
              <tr>
                <th scope="col">model</th>
                <th scope="col" class="num">
                  Per 1M tokens
                </th>
                <th scope="col" class="num">
                  Cache hit
                </th>
                <th scope="col" class="num">
                  Cache saved
                </th>
                {energy && (
                  <th scope="col" class="num">
                    Tokens/J
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={String(g.model)}>
                  <td>{g.model ?? '(none)'}</td>
                  <td class="num">{g.priced_tokens === 0 ? '—' : usd(g.cost_per_1m_tokens_usd)}</td>
                  <td class="num">{percent(g.cache_hit_rate)}</td>
                  <td class="num">{usd(g.cache_savings_usd)}</td>
                  {energy && (
                    <td class="num">{g.tokens_per_joule === null ? '—' : String(g.tokens_per_joule)}</td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

/** A group of GET /api/cache (docs/gateway.md, Response cache): its dimension values, then what the cache did. */
interface CacheGroup {
  [dim: string]: string | number | null;
  lookups: number;
  hits: number;
  hit_rate: number | null;
  spent_usd: string;
  saved_usd: string;
  unpriced_hits: number;
}

/**
 * What the gateway's response cache answered and saved, by model: shown only where it looked calls up in the range,
 * as most ledgers have no cache.
 */
function ResponseCache({ range }: { range: URLSearchParams }) {
  const r = useApi<{ groups: CacheGroup[]; total: CacheGroup }>(
    '/api/cache',
    with_(range, { dims: 'model' }),
  );
  if (r.error) return <Loading error={r.error} />;
  if (!r.data || r.data.total.lookups === 0) return null;
  const row = (label: string, g: CacheGroup) => (
    <>
      <th scope="row">{label}</th>
      <td class="num">{count(g.lookups)}</td>
      <td class="num">{count(g.hits)}</td>
      <td class="num">{percent(g.hit_rate)}</td>
      <td class="num">{usd(g.spent_usd)}</td>
      <td class="num">
        {usd(g.saved_usd)}
        {g.unpriced_hits > 0 ? '*' : ''}
      </td>
    </>
  );
  return (
    <Panel title="Response cache">
      <div class="scroll">
        <table data-testid="response-cache">
          <caption class="sr-only">
            Calls the gateway's response cache looked up and answered, what the calls sent upstream cost, and
            what the answers served again cost when first asked
          </caption>
          <thead>
            <tr>
              <th scope="col">model</th>
              <th scope="col" class="num">
                Looked up
              </th>
              <th scope="col" class="num">
                Hits
              </th>
              <th scope="col" class="num">
                Hit rate
              </th>
              <th scope="col" class="num">
                Spent
              </th>
              <th scope="col" class="num">
                Saved
              </th>
            </tr>
          </thead>
          <tbody>
            {r.data.groups.map((g) => (
              <tr key={String(g.model)}>{row(g.model === null ? '(none)' : String(g.model), g)}</tr>
            ))}
          </tbody>
          <tfoot>
            <tr>{row('total', r.data.total)}</tr>
          </tfoot>
        </table>
      </div>
      <p class="muted">
        Spent: what the calls sent upstream cost. Saved: what the answers served again from the cache cost
        when first asked.
        {r.data.total.unpriced_hits > 0
          ? ` * ${count(r.data.total.unpriced_hits)} hits whose first answer has no price are left out.`
          : ''}
      </p>
    </Panel>
  );
}

/** A router's calls as GET /api/routing/savings gives them (docs/router.md, What routing saved). */
interface RouterSavings {
  router: string;
  versus: string | null;
  versus_inferred: boolean;
  calls: number;
  cost_usd: string;
  versus_cost_usd: string;
  saved_usd: string;
  unpriced: number;
  models: { model: string; calls: number; cost_usd: string; versus_cost_usd: string; saved_usd: string }[];
}

/**
 * What the routers' calls cost against the same calls on each router's strongest model: shown only where calls went
 * through a router in the range, as most ledgers have none.
 */
function Routing({ range }: { range: URLSearchParams }) {
  const r = useApi<{ routers: RouterSavings[] }>('/api/routing/savings', range);
  if (r.error) return <Loading error={r.error} />;
  if (!r.data || r.data.routers.length === 0) return null;
  return (
    <Panel title="Routing savings">
      <div class="scroll">
        <table data-testid="routing">
          <caption class="sr-only">
            What each router's calls cost, against the same calls priced as the model compared with
          </caption>
          <thead>
            <tr>
              <th scope="col">router / answered by</th>
              <th scope="col" class="num">
                Calls
              </th>
              <th scope="col" class="num">
                Cost
              </th>
              <th scope="col">Compared with</th>
              <th scope="col" class="num">
                Would have cost
              </th>
              <th scope="col" class="num">
                Saved
              </th>
            </tr>
          </thead>
          <tbody>
            {r.data.routers.flatMap((x) => [
              <tr key={x.router} class="group">
                <th scope="row">{x.router}</th>
                <td class="num">{count(x.calls)}</td>
                <td class="num">{usd(x.cost_usd)}</td>
                <td>{x.versus === null ? '—' : x.versus_inferred ? `${x.versus} *` : x.versus}</td>
                <td class="num">{usd(x.versus_cost_usd)}</td>
                <td class="num">{usd(x.saved_usd)}</td>
              </tr>,
              ...x.models.map((m) => (
                <tr key={`${x.router} ${m.model}`}>
                  <td class="indent">{m.model}</td>
                  <td class="num">{count(m.calls)}</td>
                  <td class="num">{usd(m.cost_usd)}</td>
                  <td />
                  <td class="num">{usd(m.versus_cost_usd)}</td>
                  <td class="num">{usd(m.saved_usd)}</td>
                </tr>
              )),
            ])}
          </tbody>
        </table>
      </div>
      <p class="muted">
        Would have cost: the same calls, with the same tokens, priced as the router's strongest model.
        {r.data.routers.some((x) => x.versus_inferred)
          ? ' * No router file of the config names this one: the priciest model it chose.'
          : ''}
        {r.data.routers.some((x) => x.unpriced > 0)
          ? ` ${count(r.data.routers.reduce((n, x) => n + x.unpriced, 0))} calls with no price are left out.`
          : ''}
      </p>
    </Panel>
  );
}

export function Overview({ u }: { u: URL }) {
  const range = rangeOf(u);
  const stack = (STACKS as readonly string[]).includes(u.searchParams.get('stack') ?? '')
    ? u.searchParams.get('stack')!
    : 'model';
  const s = useApi<Summary>('/api/summary', range);
  const bucket = chartBucket(range.get('since')!, range.get('until'));
  const ts = useApi<Result>('/api/timeseries', with_(range, { dims: stack, top: '8', bucket }));
  const d = s.data;
  return (
    <>
      <div class="toolbar">
        <h1>Overview</h1>
        <RangePicker u={u} />
      </div>
      <FilterBar u={u} />
      {d && d.unpriced.events > 0 ? (
        <p class="warning" role="status">
          {count(d.unpriced.events)} calls ({count(d.unpriced.tokens, true)} tokens) have no price: their cost
          is unknown, not zero, and is not in these totals. Add the models to tokenledger.prices.yaml and run
          tokenledger reprice.
        </p>
      ) : null}
      {d?.overlaps.map((o) => (
        <p
          class="warning"
          role="status"
          data-testid="source-overlap"
          key={`${o.provider} ${o.sources.join()} ${o.bucket_seconds.join()}`}
        >
          {o.provider} usage{' '}
          {o.days === 1 ? `on ${o.first}` : `on ${o.days} days from ${o.first} to ${o.last}`}{' '}
          {o.bucket_seconds.length > 0
            ? `is here from ${o.sources[0]} at ${o.bucket_seconds.length} bucket widths (${o.bucket_seconds.map(widthName).join(', ')}): the same usage imported at each width, so these totals count it ${o.bucket_seconds.length === 2 ? 'twice' : `${o.bucket_seconds.length} times`}. Filter by tag bucket_seconds to see one width.`
            : `is here from ${o.sources.join(', ')}: a provider's usage export and the calls recorded one by one describe the same calls, so where they overlap these totals count them twice. Filter by one source to see one view.`}
        </p>
      ))}
      <div class="kpis" aria-busy={s.loading}>
        {d ? (
          <>
            <Kpi id="spend" label="Spend" value={usd(d.cost_usd)} hint={change(d.cost_usd, d.previous)} />
            <Kpi
              id="month"
              label="This month"
              value={usd(d.month.spend_usd)}
              hint={`forecast ${usd(d.month.forecast_usd)} · ${d.month.budget_usd ? `budget ${usd(d.month.budget_usd)} (${used(d.month.spend_usd, d.month.budget_usd)} used)` : 'no budget set'}`}
            />
            <Kpi
              id="per-1m"
              label="Cost per 1M tokens"
              value={usd(d.cost_per_1m_tokens_usd)}
              // The rate is over priced tokens only (docs/api.md): say so when some tokens have no price.
              hint={
                d.unpriced.tokens > 0
                  ? `${count(d.tokens - d.unpriced.tokens, true)} priced of ${count(d.tokens, true)} tokens`
                  : `${count(d.tokens, true)} tokens`
              }
            />
            <Kpi
              id="cache"
              label="Cache savings"
              value={usd(d.cache_savings_usd)}
              hint="vs full input price"
            />
            <Kpi
              id="calls"
              label="Calls"
              value={count(d.requests)}
              hint={`${count(d.events)} ledger events`}
            />
          </>
        ) : (
          <Loading error={s.error} />
        )}
      </div>
      <Panel
        title="Spend over time"
        actions={
          <label>
            <span class="sr-only">Stack by</span>
            <select
              value={stack}
              onChange={(e) => setParams({ stack: (e.target as HTMLSelectElement).value }, true)}
            >
              {STACKS.map((x) => (
                <option key={x} value={x}>
                  by {x}
                </option>
              ))}
            </select>
          </label>
        }
      >
        {ts.data ? (
          <StackedChart
            rows={ts.data.rows}
            dim={stack}
            bucket={bucket}
            zone={range.get('tz')}
            label={`${spendPer(bucket)} stacked by ${stack}`}
          />
        ) : (
          <Loading error={ts.error} />
        )}
      </Panel>
      <div class="grid">
        <Top dim="team" title="Top teams" range={range} />
        <Top dim="user" title="Top people" range={range} />
        <Top dim="project" title="Top projects" range={range} />
        <Top dim="agent" title="Top agents" range={range} />
      </div>
      <Efficiency range={range} />
      <Routing range={range} />
      <ResponseCache range={range} />
    </>
  );
}

/** How much of a budget is spent, for people: "64%" (a display ratio; the amounts themselves stay exact). */
function used(spend: string, budget: string): string {
  return `${Math.round((Number(spend) / Number(budget)) * 100)}%`;
}

/** A bucket width as the provider APIs name it (src/ledger/source-overlap.ts, widthName). */
function widthName(seconds: number): string {
  if (seconds === 86_400) return '1 day';
  if (seconds === 3_600) return '1 hour';
  if (seconds === 60) return '1 minute';
  return `${seconds} s`;
}
