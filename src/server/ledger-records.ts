import type { Alert } from '../budgets/alerts/alert.js';
import {
  ALERT_RECORDS,
  type AlertLog,
  alertLogPath,
  DELIVERY_RECORDS,
  type Delivery,
  fileAlertLog,
  recordSetAlertLog,
} from '../budgets/alerts/alert-log.js';
import {
  type BudgetAudit,
  type BudgetChange,
  fileBudgetAudit,
  recordSetBudgetAudit,
} from '../budgets/book/audit-log.js';
import { BUDGET_RECORDS, budgetFilePath } from '../budgets/book/budget-file.js';
import type { Budget } from '../budgets/budget.js';
import { KEY_RECORDS, keyFilePath } from '../gateway/keys/key-file.js';
import type { VirtualKeyRecord } from '../gateway/keys/virtual-key.js';
import {
  CONTENT_ACCESS_RECORDS,
  type ContentAccess,
  type ContentAudit,
  contentAuditPath,
  fileContentAudit,
  recordSetContentAudit,
} from '../ledger/content-audit.js';
import { fileRecordSet, type RecordKind, type RecordSet, type SetRecord } from '../records/record-set.js';
import { type ApiTokenRecord, TOKEN_RECORDS, tokenFilePath } from './api/token-file.js';

/** The sets a ledger keeps beside its events, which people change while servers run: docs/store.md, ClickHouse. */
export interface LedgerRecords {
  keys: RecordSet<VirtualKeyRecord>;
  tokens: RecordSet<ApiTokenRecord>;
  budgets: RecordSet<Budget>;
  /** Every change to `budgets`, who made it, and the budget before and after. */
  budgetAudit: BudgetAudit;
  /** Alerts raised and their webhook deliveries. */
  alerts: AlertLog;
  /** Who read or erased calls' kept text. */
  contentAudit: ContentAudit;
  close(): Promise<void>;
}

/** The budgets' audit in a ClickHouse ledger (a DuckDB ledger's is a JSONL file: audit-log.ts). */
const BUDGET_CHANGES: RecordKind = {
  name: 'budget_changes',
  corrupt: ['BUDGET_AUDIT_CORRUPT', 'not a budget change'],
};

/** A DuckDB ledger's sets: files beside it, each changed by whichever process runs the change. */
export function fileLedgerRecords(ledgerPath: string): LedgerRecords {
  return {
    keys: fileRecordSet(keyFilePath(ledgerPath), KEY_RECORDS),
    tokens: fileRecordSet(tokenFilePath(ledgerPath), TOKEN_RECORDS),
    budgets: fileRecordSet(budgetFilePath(ledgerPath), BUDGET_RECORDS),
    budgetAudit: fileBudgetAudit(ledgerPath),
    alerts: fileAlertLog(alertLogPath(ledgerPath)),
    contentAudit: fileContentAudit(contentAuditPath(ledgerPath)),
    close: async () => {},
  };
}

/**
 * The sets of the ledger at `ledgerPath`, or of the ClickHouse database at `url` when there is one: every instance
 * on that database then sees the same keys, tokens and budgets, and a key revoked on one is refused by all.
 */
export async function openLedgerRecords(ledgerPath: string, url: string | null): Promise<LedgerRecords> {
  if (url === null) return fileLedgerRecords(ledgerPath);
  const { ClickHouseSql } = await import('../store/clickhouse/clickhouse-sql.js');
  const { clickHouseRecordSet, RECORDS_TABLE_SQL } = await import(
    '../store/clickhouse/clickhouse-record-set.js'
  );
  const sql = await ClickHouseSql.open(url);
  try {
    await sql.run('creating the records table', RECORDS_TABLE_SQL);
  } catch (e) {
    await sql.close();
    throw e;
  }
  return {
    keys: clickHouseRecordSet(sql, KEY_RECORDS),
    tokens: clickHouseRecordSet(sql, TOKEN_RECORDS),
    budgets: clickHouseRecordSet(sql, BUDGET_RECORDS),
    budgetAudit: recordSetBudgetAudit(clickHouseRecordSet<BudgetChange & SetRecord>(sql, BUDGET_CHANGES)),
    alerts: recordSetAlertLog(
      clickHouseRecordSet<Alert & SetRecord>(sql, ALERT_RECORDS),
      clickHouseRecordSet<Delivery & SetRecord>(sql, DELIVERY_RECORDS),
    ),
    contentAudit: recordSetContentAudit(
      clickHouseRecordSet<ContentAccess & SetRecord>(sql, CONTENT_ACCESS_RECORDS),
    ),
    close: () => sql.close(),
  };
}
