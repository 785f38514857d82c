import { createRequire } from 'node:module';

/**
 * @duckdb/node-api, loaded with `require`. It is CommonJS, and an ESM `import` of it first scans each of its ~50
 * files for named exports (Node's cjs-module-lexer) before loading them: ~100 ms of every command that opens a
 * ledger (199–212 against 99–109 ms to load it, bench/RESULTS.md, "Command start-up").
 */
export const duckdb: typeof import('@duckdb/node-api') = createRequire(import.meta.url)('@duckdb/node-api');
