import { createHash } from 'node:crypto';

export type Part = 'train' | 'validation' | 'test';

/**
 * Where a case belongs, by a stable hash of its id (../shared/data/routing/README.md): 70% train, 10% validation
 * (where a router's cost/quality trade-off is chosen), 20% test (the only part results are reported on). The same
 * id lands in the same part in every run and on every machine.
 */
export function partOf(id: string): Part {
  const n = createHash('sha256').update(id).digest().readUInt32BE(0) % 10;
  return n < 2 ? 'test' : n < 3 ? 'validation' : 'train';
}

/** A number in [0, 1) fixed by the id, for choices that must look random yet repeat (the random-mix baseline). */
export function unitOf(id: string): number {
  return createHash('sha256').update(`unit:${id}`).digest().readUInt32BE(0) / 2 ** 32;
}
