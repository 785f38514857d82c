import { Loading, Panel } from '../controls';
import { useApi } from '../use-api';

export function Budgets() {
  const b = useApi<{ budgets: unknown[]; alerts: unknown[]; available: boolean; note: string }>(
    '/api/budgets',
  );
  return (
    <>
      <div class="toolbar">
        <h1>Budgets and alerts</h1>
      </div>
      {b.data ? (
        <Panel title="Budgets">
          <div class="empty" data-testid="budgets-empty">
            <p>
              <strong>No budgets yet.</strong> Budget policies, forecasts with run-out dates and alert history
              are not part of this version of tokenledger: they come with the budgets module.
            </p>
            <p class="muted">{b.data.note}</p>
            <p>
              Meanwhile a virtual key can carry a monthly budget for the record:{' '}
              <code>tokenledger keys create --team web --budget 500</code>
            </p>
          </div>
        </Panel>
      ) : (
        <Loading error={b.error} />
      )}
    </>
  );
}
