import type { FileRecordKind } from '../../records/record-set.js';

/**
 * Budgets made by the CLI and the API live in `<ledger>.budgets.json` beside a DuckDB ledger, like virtual keys (in
 * a ClickHouse ledger, in its database): the server and `tokenledger budgets …` may both change them while the other
 * runs, and the server reads them again when they change. Budgets from tokenledger.config.yaml are not in them.
 */
export function budgetFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.budgets.json`;
}

export const BUDGET_RECORDS: FileRecordKind = {
  name: 'budgets',
  read: ['BUDGET_FILE_READ', 'budgets'],
  corrupt: ['BUDGET_FILE_CORRUPT', 'not a budgets file; restore it from a backup or move it away'],
};
