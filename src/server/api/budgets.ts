/** Budgets and alerts over HTTP: the same BudgetBook the gateway enforces and the CLI edits. */
import { z } from 'zod';
import { ALERT_KINDS } from '../../budgets/alerts/alert.js';
import { listAlerts } from '../../budgets/alerts/alert-log.js';
import type { Budget } from '../../budgets/budget.js';
import { budgetStatus } from '../../budgets/status.js';
import { TokenledgerError } from '../../errors.js';
import { ApiError } from './api-error.js';
import { type ApiContext, endpoint } from './endpoint.js';
import { countParam, since } from './params.js';
import { parseTime } from './query-input.js';
import type { Principal } from './scope.js';

/** A team viewer sees the budgets of its team only; admins see all. */
function visible(b: Budget, who: Principal): boolean {
  return who.team === null || b.scope.team === who.team;
}

/** The book's errors as API errors: a bad definition is a 400, a missing budget 404, a config budget 409. */
async function bookCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof TokenledgerError)) throw e;
    if (e.code === 'BUDGET_INVALID') throw new ApiError('API_BAD_PARAM', e.message);
    if (e.code === 'BUDGET_NOT_FOUND') throw new ApiError('API_NOT_FOUND', e.message);
    if (e.code === 'BUDGET_READ_ONLY') throw new ApiError('API_CONFLICT', e.message);
    throw e;
  }
}

async function find(c: ApiContext, id: string, who: Principal): Promise<Budget> {
  const b = await c.budgets.get(id);
  if (b === null || !visible(b, who))
    throw new ApiError('API_NOT_FOUND', `no budget ${JSON.stringify(id)}; GET /api/budgets lists them`);
  return b;
}

const status = (c: ApiContext, b: Budget) => budgetStatus(c.store, b, Math.floor(c.now() / 1000), c.pricer);

const record = z.record(z.string(), z.unknown());
export const budgetsEndpoint = endpoint({
  method: 'GET',
  path: '/api/budgets',
  summary: 'Budgets with spend this period, forecast band and run-out date, and the latest alerts',
  params: {},
  response: z.object({ budgets: z.array(record), alerts: z.array(record) }),
  async handle(c, _p, who) {
    await c.budgets.load();
    const mine = c.budgets.all().filter((b) => visible(b, who));
    // The team's own latest 50: taking 50 before the team filter could leave a team viewer none of its own.
    const alerts = (await listAlerts(c.records.alerts, {})).alerts
      .filter((a) => who.team === null || a.scope.team === who.team)
      .slice(0, 50);
    return { budgets: await Promise.all(mine.map((b) => status(c, b))), alerts };
  },
});

export const budgetEndpoint = endpoint({
  method: 'GET',
  path: '/api/budgets/{id}',
  summary: 'One budget: spend this period, forecast, run-out date and its change history (the audit log)',
  params: {},
  response: record,
  async handle(c, _p, who, { id }) {
    const b = await find(c, id!, who);
    return { ...(await status(c, b)), history: await c.budgets.history(b.id) };
  },
});

export const createBudgetEndpoint = endpoint({
  method: 'POST',
  path: '/api/budgets',
  summary: 'Add a budget (admin). The change is recorded in the audit log with the token that made it',
  admin: true,
  params: {},
  body: record,
  response: record,
  handle: (c, _p, who, _path, body) => bookCall(() => c.budgets.create(body, `api:${who.id}`, 'api')),
});

export const updateBudgetEndpoint = endpoint({
  method: 'PUT',
  path: '/api/budgets/{id}',
  summary: 'Change a budget (admin): the fields given replace the current ones',
  admin: true,
  params: {},
  body: record,
  response: record,
  handle: (c, _p, who, { id }, body) =>
    bookCall(() => c.budgets.update(id!, body as Record<string, unknown>, `api:${who.id}`)),
});

export const deleteBudgetEndpoint = endpoint({
  method: 'DELETE',
  path: '/api/budgets/{id}',
  summary: 'Remove a budget (admin)',
  admin: true,
  params: {},
  response: record,
  handle: (c, _p, who, { id }) => bookCall(() => c.budgets.remove(id!, `api:${who.id}`)),
});

export const alertsEndpoint = endpoint({
  method: 'GET',
  path: '/api/alerts',
  summary: "Alerts, newest first, with each webhook delivery's outcome; a team viewer sees its team's",
  params: {
    since: since.describe(
      'only alerts from this time on: an age (7d, 12h, 2w), an ISO-8601 date/time or epoch ms',
    ),
    kind: z.enum(ALERT_KINDS).optional(),
    limit: countParam(1, 1000).default(100),
  },
  response: z.object({ alerts: z.array(record) }),
  async handle(c, p, who) {
    const read = await listAlerts(c.records.alerts, {
      ...(p.since !== undefined ? { sinceMs: Math.floor(parseTime('since', p.since, c.now()) / 1000) } : {}),
      ...(p.kind !== undefined ? { kind: p.kind } : {}),
    });
    const alerts = read.alerts
      .filter((a) => who.team === null || a.scope.team === who.team)
      .slice(0, p.limit);
    return { alerts };
  },
});
