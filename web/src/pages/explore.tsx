import type { Result } from '../api';
import { StackedChart, spendPer } from '../chart';
import { chartBucket } from '../chart-bucket';
import { AddFilter, FilterChips, Loading, Panel, RangePicker, useDimensions } from '../controls';
import { count, groupLabel, rowUsd, usd } from '../format';
import { rangeOf, setParams } from '../url-state';
import { useApi } from '../use-api';

export function Explore({ u }: { u: URL }) {
  const range = rangeOf(u);
  // A dimension named twice (a link's `dims=model,model`) is grouped by once: the API refuses it repeated.
  // Names trimmed as the API trims them (`dims=team, model`): " model" would be a column no row has a value in.
  const named = [
    ...new Set(
      (u.searchParams.get('dims') ?? '')
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    ),
  ].slice(0, 2);
  // None named (no `dims`, or a link's empty `dims=`) is by team, as the API groups it: the table needs its column.
  const dims = named.length > 0 ? named : ['team'];
  const first = dims[0]!;
  const second = dims[1] ?? '';
  const top = u.searchParams.get('top') ?? '10';
  // Shared cost allocation (docs/dashboard.md): the cost of calls with no value of the one dimension split among the
  // groups with one. It needs every group, so no top-N.
  const sharing = u.searchParams.get('share') === 'unattributed' && second === '';
  const q = new URLSearchParams(range);
  q.set('dims', dims.join(','));
  if (sharing) q.set('share', 'unattributed');
  else q.set('top', top);
  const series = new URLSearchParams(range);
  series.set('dims', first);
  series.set('top', '8');
  const bucket = chartBucket(range.get('since')!, range.get('until'));
  series.set('bucket', bucket);
  const table = useApi<Result>('/api/breakdown', q);
  const chart = useApi<Result>('/api/timeseries', series);
  const csv = new URLSearchParams(q);
  csv.set('format', 'csv');
  const offered = useDimensions(dims);
  // Grouping first by what was the second dimension leaves no second one, rather than that dimension twice.
  const setDims = (a: string, b: string) =>
    setParams({ dims: [a, b === a ? '' : b].filter(Boolean).join(',') });
  return (
    <>
      <div class="toolbar">
        <h1>Explore</h1>
        <RangePicker u={u} />
      </div>
      <form class="controls" onSubmit={(e) => e.preventDefault()}>
        <label>
          Group by
          <select
            name="dim1"
            value={first}
            onChange={(e) => setDims((e.target as HTMLSelectElement).value, second)}
          >
            {offered.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          then by
          <select
            name="dim2"
            value={second}
            onChange={(e) => setDims(first, (e.target as HTMLSelectElement).value)}
          >
            <option value="">(none)</option>
            {offered
              .filter((d) => d !== first)
              .map((d) => (
                <option key={d}>{d}</option>
              ))}
          </select>
        </label>
        <label>
          Top
          <select
            name="top"
            value={top}
            disabled={sharing}
            onChange={(e) => setParams({ top: (e.target as HTMLSelectElement).value })}
          >
            {/* A link may ask for any N the API takes: shown as chosen, not as a blank. */}
            {[...new Set(['5', '10', '25', '100', top])]
              .sort((a, b) => Number(a) - Number(b))
              .map((n) => (
                <option key={n}>{n}</option>
              ))}
          </select>
        </label>
        {second === '' && (
          <label
            title={`Split the cost of calls with no ${first} among the others, in proportion to their cost`}
          >
            <input
              type="checkbox"
              name="share"
              checked={sharing}
              onChange={(e) =>
                setParams({ share: (e.target as HTMLInputElement).checked ? 'unattributed' : null })
              }
            />
            Share calls with no {first}
          </label>
        )}
        <AddFilter u={u} dims={offered} />
      </form>
      <FilterChips u={u} />
      <Panel title={`${spendPer(bucket)} by ${first}`}>
        {chart.data ? (
          <StackedChart
            rows={chart.data.rows}
            dim={first}
            bucket={bucket}
            zone={range.get('tz')}
            label={`${spendPer(bucket)} by ${first}`}
          />
        ) : (
          <Loading error={chart.error} />
        )}
      </Panel>
      <Panel
        title="Table"
        actions={
          <a class="button" href={`/api/breakdown?${csv}`} download="breakdown.csv">
            Download CSV
          </a>
        }
      >
        {table.data ? (
          <div class="scroll">
            <table>
              <caption class="sr-only">Spend by {dims.join(' and ')}</caption>
              <thead>
                <tr>
                  {dims.map((d) => (
                    <th scope="col" key={d}>
                      {d}
                    </th>
                  ))}
                  <th scope="col" class="num">
                    Cost
                  </th>
                  {sharing && (
                    <>
                      <th scope="col" class="num">
                        Shared
                      </th>
                      <th scope="col" class="num">
                        Allocated
                      </th>
                    </>
                  )}
                  <th scope="col" class="num">
                    Input
                  </th>
                  <th scope="col" class="num">
                    Cache read
                  </th>
                  <th scope="col" class="num">
                    Output
                  </th>
                  <th scope="col" class="num">
                    Calls
                  </th>
                </tr>
              </thead>
              <tbody>
                {table.data.rows.map((r, i) => (
                  <tr key={i}>
                    {dims.map((d) => (
                      <td key={d}>{groupLabel(r, d)}</td>
                    ))}
                    <td class="num">{rowUsd(r)}</td>
                    {sharing && (
                      <>
                        <td class="num">{r.shared_usd === '0.000000000000' ? '' : usd(r.shared_usd)}</td>
                        <td class="num">{usd(r.allocated_usd)}</td>
                      </>
                    )}
                    <td class="num">{count(r.input_tokens, true)}</td>
                    <td class="num">{count(r.cache_read_tokens, true)}</td>
                    <td class="num">{count(r.output_tokens, true)}</td>
                    <td class="num">{count(r.requests)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={dims.length}>
                    Total
                  </th>
                  <td class="num">
                    {rowUsd({ ...table.data.totals, unpriced_events: table.data.unpriced.events })}
                  </td>
                  {sharing && (
                    <>
                      <td class="num" />
                      <td class="num">{usd(table.data.totals.cost_usd)}</td>
                    </>
                  )}
                  <td class="num">{count(table.data.totals.input_tokens, true)}</td>
                  <td class="num">{count(table.data.totals.cache_read_tokens, true)}</td>
                  <td class="num">{count(table.data.totals.output_tokens, true)}</td>
                  <td class="num">{count(table.data.totals.requests)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        ) : (
          <Loading error={table.error} />
        )}
      </Panel>
    </>
  );
}
