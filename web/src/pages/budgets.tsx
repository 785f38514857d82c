import { useEffect, useRef, useState } from 'preact/hooks';
import { problemOf, send } from '../api';
import { Loading, Panel } from '../controls';
import { percentOfLimit, usd, when } from '../format';
import { useApi } from '../use-api';
import { BudgetForm } from './budget-form';

interface Budget {
  id: string;
  name: string | null;
  scope: Record<string, string>;
  period: { kind: string; days?: number };
  tz: string;
  /** As it was set ("250.10"); the status's `limit_usd` is the same amount at the ledger's scale. */
  limit_usd: string;
  action: 'alert' | 'block' | 'downgrade';
  downgrade_to: string | null;
  thresholds: number[];
  /** Where it is defined: a config file's budgets are changed there, not here. */
  origin: 'config' | 'cli' | 'api';
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

/** Removes a budget on a second click: one stray click must not lift a blocking limit. */
function RemoveButton({ id, onRemoved }: { id: string; onRemoved: () => void }) {
  const [armed, setArmed] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        class={armed ? 'danger' : ''}
        aria-label={armed ? `Confirm: remove budget ${id}` : `Remove budget ${id}`}
        onClick={async () => {
          if (!armed) return setArmed(true);
          try {
            await send('DELETE', `/api/budgets/${encodeURIComponent(id)}`);
            onRemoved();
          } catch (e) {
            setProblem(problemOf(e));
          }
        }}
        onBlur={() => setArmed(false)}
      >
        {armed ? 'Remove?' : 'Remove'}
      </button>
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
    </>
  );
}

/**
 * A budget's limit, which an admin may change in place (`PUT /api/budgets/{id}` with only `limit_usd`, sent as
 * typed: the API checks it as it checks a new budget's). Raising or lowering a limit is the change a budget needs
 * most; anything else is remove and add.
 */
function LimitCell({
  status,
  editable,
  onChanged,
}: {
  status: Status;
  editable: boolean;
  onChanged: () => void;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const id = status.budget.id;
  // The button and the form replace each other, and the one that had focus is gone: focus moves to the other
  // (not on the first render: a page that opens takes no focus).
  const change = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const opened = useRef(false);
  useEffect(() => {
    if (draft !== null && !opened.current) input.current?.focus();
    else if (draft === null && opened.current) change.current?.focus();
    opened.current = draft !== null;
  }, [draft === null]);
  if (draft === null)
    return (
      <td class="num">
        {usd(status.limit_usd)}
        {editable ? (
          <div>
            <button
              ref={change}
              type="button"
              class="link"
              aria-label={`Change the limit of budget ${id}`}
              onClick={() => setDraft(status.budget.limit_usd)}
            >
              change
            </button>
          </div>
        ) : null}
      </td>
    );
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await send('PUT', `/api/budgets/${encodeURIComponent(id)}`, { limit_usd: draft.trim() });
      setDraft(null);
      setProblem(null);
      onChanged();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  return (
    <td class="num">
      <form class="limit-form" onSubmit={save} aria-label={`New limit of budget ${id}`}>
        <input
          ref={input}
          name="limit_usd"
          value={draft}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          inputMode="decimal"
          size={10}
          aria-label="Limit (USD)"
          required
        />
        <button type="submit">Save</button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setDraft(null);
            setProblem(null);
          }}
        >
          cancel
        </button>
      </form>
      {problem ? (
        <p class="error" role="alert" data-testid="limit-problem">
          {problem}
        </p>
      ) : null}
    </td>
  );
}

/** The budgets list, or what says there is none: where focus goes when a removed budget's row is gone. */
const LIST = '[data-testid="budgets-table"], [data-testid="budgets-empty"]';

/** `admin`: the viewer may add, change and remove budgets (the API refuses anyone else). */
export function Budgets({ admin }: { admin: boolean }) {
  const [version, setVersion] = useState(0);
  // What takes keyboard focus once the list has reloaded after an add or a removal (a selector): the control that
  // had it is gone or stays behind, and focus would drop to the page.
  const focusAfter = useRef<string | null>(null);
  const reload = (focus: string | null = null) => {
    focusAfter.current = focus;
    setVersion((v) => v + 1);
  };
  const b = useApi<{ budgets: Status[]; alerts: Alert[] }>('/api/budgets', null, version);
  useEffect(() => {
    if (b.loading || focusAfter.current === null) return;
    document.querySelector<HTMLElement>(focusAfter.current)?.focus();
    focusAfter.current = null;
  }, [b.data, b.loading]);
  if (!b.data) return <Loading error={b.error} />;
  const { budgets, alerts } = b.data;
  return (
    <>
      <div class="toolbar">
        <h1>Budgets and alerts</h1>
      </div>
      {admin ? (
        <Panel title="Add a budget">
          <BudgetForm onAdded={(id) => reload(`th[data-budget="${CSS.escape(id)}"]`)} />
        </Panel>
      ) : null}
      <Panel title="Budgets">
        {budgets.length === 0 ? (
          <div class="empty" data-testid="budgets-empty" tabIndex={-1}>
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
            <table data-testid="budgets-table" tabIndex={-1}>
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
                  {admin ? (
                    <th scope="col">
                      <span class="sr-only">Remove</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {budgets.map((s) => (
                  <tr key={s.budget.id} data-testid="budget-row">
                    <th scope="row" data-budget={s.budget.id} tabIndex={-1}>
                      {s.budget.name ?? scopeText(s.budget.scope)}
                      <div class="muted">{s.budget.id}</div>
                    </th>
                    <td>
                      {periodText(s.budget)}
                      <div class="muted">resets {when(s.window.resets_at)}</div>
                    </td>
                    <td class="num">{usd(s.spend_usd)}</td>
                    <LimitCell
                      status={s}
                      editable={admin && s.budget.origin !== 'config'}
                      onChanged={() => reload()}
                    />
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
                        aria-label={`${percentOfLimit(s.percent)} of the limit`}
                      />{' '}
                      {percentOfLimit(s.percent)}
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
                    {admin ? (
                      <td>
                        {s.budget.origin === 'config' ? (
                          <span class="muted">in the config file</span>
                        ) : (
                          <RemoveButton id={s.budget.id} onRemoved={() => reload(LIST)} />
                        )}
                      </td>
                    ) : null}
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
