import { describe, expect, it } from 'vitest';
import { IMPORT_KINDS } from './kinds.js';

describe('import kinds', () => {
  it.each(Object.entries(IMPORT_KINDS))('%s names the id of the parser it loads', async (_name, k) => {
    // The id keys the import state (and its copy beside the ledger) before the parser is loaded.
    expect((await k.load()).id).toBe(k.id);
  });
});
