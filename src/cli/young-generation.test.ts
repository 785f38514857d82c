import { describe, expect, it } from 'vitest';
import { youngGenerationAfter } from '../../test/helpers/young-generation.js';

const MODULE = JSON.stringify(new URL('./young-generation.ts', import.meta.url).href);

describe('keepYoungGenerationSmall', () => {
  it('stops the young generation from growing under work whose objects survive, set while running', () => {
    const grown = youngGenerationAfter('');
    const kept = youngGenerationAfter(
      `import { keepYoungGenerationSmall } from ${MODULE}; keepYoungGenerationSmall();`,
    );
    expect(grown).toBeGreaterThanOrEqual(16 * 2 ** 20);
    expect(kept).toBeLessThanOrEqual(4 * 2 ** 20);
  });
});
