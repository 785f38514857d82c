import type { Row } from '../api';
import { FilterBar, Loading, Panel, RangePicker, TopList } from '../controls';
import { count, rowUsd, usd } from '../format';
import { rangeOf } from '../url-state';
import { useApi } from '../use-api';
import { UsageWindows } from './usage-windows';

type Session = Row & { runaway: boolean; tokens: number; cost_per_call_usd: string };
/** One of the sessions with the most calls, over the whole range. */
type Longest = {
  session_id: string;
  agent: string | null;
  user: string | null;
  requests: number;
  cost_usd: string;
};

/** A week by default: what a team lead looks at first; any range is served from the session rollup. */
const SESSIONS_SINCE = '7d';

/** The people of the sessions listed, each with a link to this page showing their calls alone. */
function peopleOf(u: URL, sessions: readonly Session[]): { user: string; href: string }[] {
  const users = [...new Set(sessions.map((x) => x.user).filter((x) => x !== null))].map(String);
  return users.map((user) => {
    const q = new URLSearchParams(u.search);
    q.append('where', `user=${user}`);
    return { user, href: `/sessions?${q}` };
  });
}

export function Sessions({ u }: { u: URL }) {
  const p = rangeOf(u, SESSIONS_SINCE);
  // An agent's or a session's events within this page's range and filters: what its row here adds up.
  const drill = (filter: string) => {
    const q = rangeOf(u, SESSIONS_SINCE);
    q.append('where', filter);
    return `/events?${q}`;
  };
  p.set('top', '25');
  const s = useApi<{ sessions: Session[]; longest: Longest[]; agents: Row[] }>('/api/sessions', p);
  const d = s.data;
  const total = d ? d.agents.reduce((t, r) => t + Number(r.cost_usd), 0) : 0;
  const runaways = d ? d.sessions.filter((x) => x.runaway).length : 0;
  return (
    <>
      <div class="toolbar">
        <h1>Sessions and agents</h1>
        <RangePicker u={u} fallback={SESSIONS_SINCE} />
      </div>
      <FilterBar u={u} />
      {d ? (
        <>
          {runaways > 0 ? (
            <p class="warning" role="status">
              {runaways === 1 ? 'One session looks' : `${runaways} sessions look`} like a runaway agent: far
              more calls than a normal session, or ten times the typical cost.
            </p>
          ) : null}
          <Panel title="Cost per agent">
            <TopList rows={d.agents} dim="agent" total={total} link={(v) => drill(`agent=${v}`)} />
          </Panel>
          <UsageWindows params={rangeOf(u, SESSIONS_SINCE)} people={peopleOf(u, d.sessions)} />
          <Panel title="Most expensive sessions">
            <div class="scroll">
              <table>
                <caption class="sr-only">Sessions by cost</caption>
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">Agent</th>
                    <th scope="col">User</th>
                    <th scope="col" class="num">
                      Calls
                    </th>
                    <th scope="col" class="num">
                      Tokens
                    </th>
                    <th scope="col" class="num">
                      Cost
                    </th>
                    <th scope="col" class="num">
                      Per call
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.sessions.map((x) => (
                    <tr key={String(x.session_id)} class={x.runaway ? 'runaway' : ''}>
                      <td>
                        <a href={drill(`session_id=${x.session_id}`)}>{String(x.session_id)}</a>
                        {x.runaway ? <span class="badge">runaway</span> : null}
                      </td>
                      <td>{String(x.agent ?? '—')}</td>
                      <td>{String(x.user ?? '—')}</td>
                      <td class="num">{count(x.requests)}</td>
                      <td class="num">{count(x.tokens, true)}</td>
                      <td class="num">{rowUsd(x)}</td>
                      <td class="num">{usd(x.cost_per_call_usd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="muted">
              Longest sessions by calls:{' '}
              {d.longest
                .map((x) => `${x.session_id} (${count(x.requests)} calls, ${usd(x.cost_usd)})`)
                .join(', ') || '—'}
            </p>
          </Panel>
        </>
      ) : (
        <Loading error={s.error} />
      )}
    </>
  );
}
