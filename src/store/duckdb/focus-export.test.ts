import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFocusExportSuite } from '../focus-export.case.test.js';
import { createDuckDbStore } from './duckdb-store.js';

runFocusExportSuite('duckdb', () =>
  createDuckDbStore(join(mkdtempSync(join(tmpdir(), 'tl-focus-')), 'ledger.duckdb')),
);
