import { stat } from 'node:fs/promises';
import { readSecretFile, writeSecretFile } from '../../secret-file.js';
import type { Budget } from '../budget.js';

/**
 * Budgets made by the CLI and the API live in `<ledger>.budgets.json` beside the ledger, like virtual keys: the
 * server and `tokenledger budgets …` may both change it while the other runs (writes are renamed into place), and
 * the server rereads it when it changes. Budgets from tokenledger.config.yaml are not in it.
 */
export function budgetFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.budgets.json`;
}

export function readBudgets(path: string): Promise<Budget[]> {
  return readSecretFile<Budget>(path, 'budgets', {
    read: ['BUDGET_FILE_READ', 'budgets'],
    corrupt: ['BUDGET_FILE_CORRUPT', 'not a budgets file; restore it from a backup or move it away'],
  });
}

export function writeBudgets(path: string, budgets: readonly Budget[]): Promise<void> {
  return writeSecretFile(path, 'budgets', budgets);
}

/** Modification time in ms, or 0 when the file is missing. */
export async function fileMtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}
