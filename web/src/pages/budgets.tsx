import { Loading, Panel } from '../controls';
import { usd, when } from '../format';
import { useApi } from '../use-api';

interface Budget {
  id: string;
  name: string | null;
  scope: Record<string, string>;
  period: { kind: string; days?: number };
  tz: string;
  action: 'alert' | 'block' | 'downgrade';
  downgrade_to: string | null;
  thresholds: number[];
}

interface Status {
  budget: Budget;
  window: { start: string; end: string; resets_at: string };
  spend_usd: string;
  limit_usd: string;
  percent: number;
  forecast: {
    expected_usd: string;
    low_usd: string;
    high_usd: string;
    run_out: string | null;
    run_out_earliest: string | null;
    samples: number;
  };
}

interface Alert {
  id: string;
  kind: string;
  severity: string;
  title: string;
  created_at: string;
  deliveries?: { outcome: string }[];
}

const scopeText = (s: Record<string, string>) =>
  Object.keys(s).length === 0
    ? 'whole organisation'
    : Object.entries(s)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

const periodText = (b: Budget) =>
  b.period.kind === 'rolling' ? `rolling ${b.period.days} days` : b.period.kind;

function delivery(a: Alert): string {
  const d = a.deliveries ?? [];
  if (d.length === 0) return 'stored';
  return d.map((x) => x.outcome).join(', ');
}

export function Budgets() {
  const b = useApi<{ budgets: Status[]; alerts: Alert[] }>('/api/budgets');
  if (!b.data) return <Loading error={b.error} />;
  const { budgets, alerts } = b.data;
  return (
    <>
      <div class="toolbar">
        <h1>Budgets and alerts</h1>
      </div>
      <Panel title="Budgets">
        {budgets.length === 0 ? (
          <div class="empty" data-testid="budgets-empty">
            <p>
              <strong>No budgets yet.</strong> A budget limits spend per team, person, project, agent, key,
              model or tag, alerts at thresholds, and can block or downgrade requests at the limit:
            </p>
            <pre>
              <code>
                tokenledger budgets add --scope team=payments --period monthly --limit-usd 500 --action block
              </code>
            </pre>
          </div>
        ) : (
          <div class="scroll">
            <table data-testid="budgets-table">
              <caption class="sr-only">Budgets, their spend this period and forecast</caption>
              <thead>
                <tr>
                  <th scope="col">Budget</th>
                  <th scope="col">Period</th>
                  <th scope="col" class="num">
                    Spend
                  </th>
                  <th scope="col" class="num">
                    Limit
                  </th>
                  <th scope="col">Used</th>
                  <th scope="col" class="num">
                    Forecast (range)
                  </th>
                  <th scope="col">Runs out</th>
                  <th scope="col">At the limit</th>
                </tr>
              </thead>
              <tbody>
                {budgets.map((s) => (
                  <tr key={s.budget.id} data-testid="budget-row">
                    <th scope="row">
                      {s.budget.name ?? scopeText(s.budget.scope)}
                      <div class="muted">{s.budget.id}</div>
                    </th>
                    <td>
                      {periodText(s.budget)}
                      <div class="muted">resets {when(s.window.resets_at)}</div>
                    </td>
                    <td class="num">{usd(s.spend_usd)}</td>
                    <td class="num">{usd(s.limit_usd)}</td>
                    <td>
                      <meter
                        min={0}
                        max={100}
                        low={s.budget.thresholds[0]}
                        // A value equal to high still paints in the middle (warning) colour: at or past the last
                        // threshold the bar should read as critical, so high sits just under it.
                        high={(s.budget.thresholds.at(-1) ?? 100) - 0.01}
                        optimum={0}
                        value={Math.min(s.percent, 100)}
                        aria-label={`${s.percent.toFixed(1)}% of the limit`}
                      />{' '}
                      {s.percent.toFixed(1)}%
                    </td>
                    <td class="num">
                      {usd(s.forecast.expected_usd)}
                      <div class="muted">
                        {usd(s.forecast.low_usd)} – {usd(s.forecast.high_usd)}
                      </div>
                    </td>
                    <td>
                      {s.percent >= 100 ? 'already' : (s.forecast.run_out ?? 'not this period')}
                      {s.percent < 100 &&
                      s.forecast.run_out_earliest &&
                      s.forecast.run_out_earliest !== s.forecast.run_out ? (
                        <div class="muted">as early as {s.forecast.run_out_earliest}</div>
                      ) : null}
                    </td>
                    <td>
                      {s.budget.action === 'downgrade'
                        ? `downgrade to ${s.budget.downgrade_to}`
                        : s.budget.action}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <Panel title="Alerts">
        {alerts.length === 0 ? (
          <p class="muted" data-testid="alerts-empty">
            No alerts yet. Budgets alert at their thresholds, and spend anomalies and runaway agents alert
            too, as spend arrives. For spend already in the ledger, the <a href="/sessions">sessions page</a>{' '}
            flags runaway agents.
          </p>
        ) : (
          <div class="scroll">
            <table data-testid="alerts-table">
              <caption class="sr-only">Alert history, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Alert</th>
                  <th scope="col">Delivery</th>
                </tr>
              </thead>
              <tbody>
                {alerts.map((a) => (
                  <tr key={a.id}>
                    <td>{when(a.created_at)}</td>
                    <td>{a.severity}</td>
                    <td>{a.title}</td>
                    <td>{delivery(a)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </>
  );
}
