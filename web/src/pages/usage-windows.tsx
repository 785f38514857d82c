import { Loading, Panel } from '../controls';
import { count, usd } from '../format';
import { newestFirst, type UsageWindow } from '../usage-windows';
import { useApi } from '../use-api';

const startTime = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const endTime = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { timeStyle: 'short' });

/** As a report row's cost: never "$0.00" for calls with no price, and "*" when some lack one. */
const windowUsd = (w: UsageWindow) =>
  w.unpriced_calls === w.calls && w.calls > 0
    ? 'unpriced'
    : `${usd(w.cost_usd)}${w.unpriced_calls > 0 ? '*' : ''}`;

/**
 * One person's five-hour windows over the page's range and filters, newest first: the windows Claude's and
 * ChatGPT's plans meter a coding agent in, the open one with its pace. Windows are one person's, so where the range
 * holds several people's agent calls the panel asks for one, offering `people` (links that add the filter).
 */
export function UsageWindows({
  params,
  people,
}: {
  params: URLSearchParams;
  people: { user: string; href: string }[];
}) {
  const w = useApi<{ user: string | null; blocks: UsageWindow[] }>('/api/blocks', params);
  const title = 'Five-hour windows';
  if (w.code === 'API_BAD_PARAM')
    return (
      <Panel title={title}>
        <p class="muted" data-testid="windows-one-person">
          Windows are one person's, and this range holds several people's agent calls. Show the windows of{' '}
          {people.map((p, i) => (
            <span key={p.user}>
              {i > 0 ? ', ' : ''}
              <a href={p.href}>{p.user}</a>
            </span>
          ))}
          {people.length === 0 ? 'one person: add the filter user=NAME' : ''}.
        </p>
      </Panel>
    );
  if (!w.data)
    return (
      <Panel title={title}>
        <Loading error={w.error} />
      </Panel>
    );
  // The API lists each agent's windows in turn; the page, every agent's together.
  const windows = w.data.blocks.toSorted(newestFirst);
  return (
    <Panel title={title}>
      {windows.length === 0 ? (
        <p class="muted">No coding agent's calls in this range.</p>
      ) : (
        <div class="scroll">
          <table data-testid="usage-windows">
            <caption class="sr-only">
              Five-hour usage windows{w.data.user ? ` of ${w.data.user}` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Window</th>
                <th scope="col">Agent</th>
                <th scope="col" class="num">
                  Calls
                </th>
                <th scope="col" class="num">
                  Tokens
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
                <th scope="col">Models</th>
                <th scope="col">Pace</th>
              </tr>
            </thead>
            <tbody>
              {windows.map((x) => (
                <tr key={`${x.agent} ${x.start}`}>
                  <td>
                    {startTime(x.start)} – {endTime(x.end)}
                    {x.active ? <span class="badge">open</span> : null}
                  </td>
                  <td>{x.agent}</td>
                  <td class="num">{count(x.calls)}</td>
                  <td class="num">{count(x.tokens, true)}</td>
                  <td class="num">{windowUsd(x)}</td>
                  <td>{x.models.join(', ')}</td>
                  <td>
                    {x.burn
                      ? `${usd(x.burn.cost_per_hour_usd)}/h, ${usd(x.burn.projected_cost_usd)} at its end`
                      : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
