import { useState } from 'preact/hooks';
import { problemOf, send } from '../api';

const PERIODS: [string, string][] = [
  ['monthly', 'monthly'],
  ['weekly', 'weekly'],
  ['daily', 'daily'],
  ['rolling:7d', 'rolling 7 days'],
  ['rolling:30d', 'rolling 30 days'],
];

/**
 * "team=payments tag.repo=web" (spaces or commas between) as a budget scope; empty is the whole organisation.
 * Null when a part is not DIM=VALUE. The API checks the dimensions and says which one it does not know.
 */
function parseScope(text: string): Record<string, string> | null {
  const scope: Record<string, string> = {};
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) return null;
    scope[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return scope;
}

/**
 * An admin's form for a new budget, sent to `POST /api/budgets` as typed: the API validates it (and words what is
 * wrong) exactly as it does for the CLI and the config file; the limit stays a decimal string, never a float.
 */
export function BudgetForm({ onAdded }: { onAdded: (id: string) => void }) {
  const [scope, setScope] = useState('');
  const [period, setPeriod] = useState('monthly');
  const [limit, setLimit] = useState('');
  const [action, setAction] = useState('alert');
  const [downgradeTo, setDowngradeTo] = useState('');
  const [tz, setTz] = useState('UTC');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const parsed = parseScope(scope);
    if (parsed === null) {
      setProblem('scope: expected DIM=VALUE pairs such as team=payments (empty for the whole organisation)');
      return;
    }
    setBusy(true);
    try {
      const made = await send<{ id: string }>('POST', '/api/budgets', {
        scope: parsed,
        period,
        tz,
        limit_usd: limit.trim(),
        action,
        ...(action === 'downgrade' ? { downgrade_to: downgradeTo.trim() } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      setProblem(null);
      setScope('');
      setLimit('');
      setName('');
      onAdded(made.id);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="budget-form" onSubmit={submit} aria-label="Add a budget">
      <label>
        Scope
        <input
          name="scope"
          value={scope}
          onInput={(e) => setScope(value(e))}
          placeholder="team=payments (empty: everyone)"
          size={30}
        />
      </label>
      <label>
        Period
        <select name="period" value={period} onChange={(e) => setPeriod(value(e))}>
          {PERIODS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Limit (USD)
        <input
          name="limit_usd"
          value={limit}
          onInput={(e) => setLimit(value(e))}
          inputMode="decimal"
          required
        />
      </label>
      <label>
        At the limit
        <select name="action" value={action} onChange={(e) => setAction(value(e))}>
          <option value="alert">alert</option>
          <option value="block">block</option>
          <option value="downgrade">downgrade</option>
        </select>
      </label>
      {action === 'downgrade' ? (
        <label>
          to model
          <input name="downgrade_to" value={downgradeTo} onInput={(e) => setDowngradeTo(value(e))} />
        </label>
      ) : null}
      <label>
        Time zone
        <input name="tz" value={tz} onInput={(e) => setTz(value(e))} size={14} />
      </label>
      <label>
        Name
        <input name="name" value={name} onInput={(e) => setName(value(e))} placeholder="optional" />
      </label>
      {/* Not `disabled` while it sends: disabling the focused button drops keyboard focus to the page. */}
      <button type="submit" aria-disabled={busy}>
        Add budget
      </button>
      {problem ? (
        <p class="error" role="alert" data-testid="budget-problem">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
