import { randomBytes } from 'node:crypto';
import { TokenledgerError } from '../../errors.js';
import type { RecordSet } from '../../records/record-set.js';
import { Serial } from '../../store/serial.js';
import { problemOf } from '../../zod-problem.js';
import { type Budget, budgetInputSchema, formatPeriod, parsePeriod } from '../budget.js';
import type { BudgetAudit, BudgetChange } from './audit-log.js';

/**
 * Turns a budget definition (config, CLI flags, API body) into a Budget, or throws BUDGET_INVALID naming every field
 * that is wrong and what is allowed. A budget being created is "the new budget" in the message: its id, drawn
 * for it, means nothing to whoever is creating it, and is not kept.
 */
export function toBudget(
  input: unknown,
  id: string,
  origin: Budget['origin'],
  createdAt: string,
  isNew = false,
): Budget {
  const parsed = budgetInputSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.path.length === 0
        ? problemOf(budgetInputSchema, i)
        : `${i.path.join('.')}: ${problemOf(budgetInputSchema, i)}`,
    );
    throw new TokenledgerError(
      'BUDGET_INVALID',
      `${isNew ? 'the new budget' : `budget ${id}`}: ${problems.join('; ')}`,
    );
  }
  const b = parsed.data;
  return {
    id,
    name: b.name ?? null,
    scope: b.scope,
    period: parsePeriod(b.period)!,
    tz: b.tz,
    limit_usd: b.limit_usd,
    thresholds: b.thresholds,
    action: b.action,
    downgrade_to: b.downgrade_to ?? null,
    origin,
    created_at: createdAt,
  };
}

/** The definition a budget was made from: what `update` starts from and what the API returns as editable. */
function budgetInput(b: Budget) {
  return {
    name: b.name,
    scope: { ...b.scope },
    period: formatPeriod(b.period),
    tz: b.tz,
    limit_usd: b.limit_usd,
    thresholds: [...b.thresholds],
    action: b.action,
    downgrade_to: b.downgrade_to,
  };
}

/**
 * All budgets in force: the config file's (read-only here) and the ledger's set (budget-file.ts). `all()` is
 * synchronous and cheap for the gateway's hot path; the set is rechecked at most once a second off the request path,
 * so a budget added by `tokenledger budgets add` while the server runs takes effect within a second.
 */
export class BudgetBook {
  private stored: Budget[] = [];
  private merged: readonly Budget[];
  /** RecordSet.signature as last read; null before the first read and after a change of ours. */
  private signature: string | null = null;
  private checkedAt = 0;
  private checking: Promise<void> | null = null;
  /**
   * Changes run one at a time. A file set rewrites the whole file from the budgets it read, so two at once (two API
   * requests) would each write the file without the other's budget, and both would rename the same temporary file.
   */
  private readonly queue = new Serial();

  /**
   * Awaited when the ledger's budgets changed, before the new budgets are in force: the server seeds their counters
   * from the ledger here, so no request is checked against a new budget that does not yet count its window's spend.
   */
  beforeChange: ((next: readonly Budget[]) => Promise<void>) | null = null;

  private readonly set: RecordSet<Budget>;
  private readonly audit: BudgetAudit;

  /** `records`: the ledger's budgets and their audit (server/ledger-records.ts). */
  constructor(
    records: { budgets: RecordSet<Budget>; budgetAudit: BudgetAudit },
    private readonly fromConfig: readonly Budget[] = [],
    private readonly now: () => number = Date.now,
  ) {
    this.set = records.budgets;
    this.audit = records.budgetAudit;
    this.merged = fromConfig;
  }

  async load(): Promise<void> {
    const signature = await this.set.signature();
    if (signature === this.signature) return;
    const stored = await this.set.list();
    const configIds = new Set(this.fromConfig.map((b) => b.id));
    const merged = [...this.fromConfig, ...stored.filter((b) => !configIds.has(b.id))];
    await this.beforeChange?.(merged);
    this.stored = stored;
    this.signature = signature;
    this.merged = merged;
  }

  all(): readonly Budget[] {
    const now = this.now();
    if (now - this.checkedAt > 1000) {
      this.checkedAt = now;
      this.checking ??= this.load()
        .catch((e: Error) => {
          process.stderr.write(`budgets: cannot reload ${this.set.where}: ${e.message}\n`);
        })
        .finally(() => {
          this.checking = null;
        });
    }
    return this.merged;
  }

  async get(id: string): Promise<Budget | null> {
    await this.load();
    return this.merged.find((b) => b.id === id) ?? null;
  }

  create(input: unknown, actor: string, origin: 'cli' | 'api'): Promise<Budget> {
    return this.queue.run(async () => {
      await this.load();
      const b = toBudget(
        input,
        `b_${randomBytes(6).toString('hex')}`,
        origin,
        new Date(this.now()).toISOString(),
        true,
      );
      await this.commit(() => this.set.put(b), {
        actor,
        action: 'create',
        budget_id: b.id,
        before: null,
        after: b,
      });
      return b;
    });
  }

  /** Replaces the fields given in `changes` (a partial budget definition); the id, origin and creation time stay. */
  update(id: string, changes: Record<string, unknown>, actor: string): Promise<Budget> {
    return this.queue.run(async () => {
      const before = await this.editable(id);
      const base: Record<string, unknown> = budgetInput(before);
      // A downgrade budget changed to alert or block drops its model, unless the change names one (and is refused).
      if (changes.action !== undefined && changes.action !== 'downgrade' && !('downgrade_to' in changes))
        base.downgrade_to = null;
      const after = toBudget({ ...base, ...changes }, id, before.origin, before.created_at);
      await this.commit(() => this.set.put(after), {
        actor,
        action: 'update',
        budget_id: id,
        before,
        after,
      });
      return after;
    });
  }

  remove(id: string, actor: string): Promise<Budget> {
    return this.queue.run(async () => {
      const before = await this.editable(id);
      await this.commit(() => this.set.remove(id), {
        actor,
        action: 'remove',
        budget_id: id,
        before,
        after: null,
      });
      return before;
    });
  }

  history(id?: string): Promise<BudgetChange[]> {
    return this.audit.read(id);
  }

  private async editable(id: string): Promise<Budget> {
    await this.load();
    if (this.fromConfig.some((b) => b.id === id))
      throw new TokenledgerError(
        'BUDGET_READ_ONLY',
        `budget ${id} is defined in tokenledger.config.yaml; change it there and restart the server`,
      );
    const b = this.stored.find((x) => x.id === id);
    if (b === undefined)
      throw new TokenledgerError(
        'BUDGET_NOT_FOUND',
        `no budget ${JSON.stringify(id)}; see tokenledger budgets list`,
      );
    return b;
  }

  private async commit(write: () => Promise<void>, change: Omit<BudgetChange, 'at'>): Promise<void> {
    // The audit line goes first: a change that is in force but not in the audit log must never exist.
    await this.audit.append({ at: new Date(this.now()).toISOString(), ...change });
    await write();
    this.signature = null;
    await this.load();
  }
}
