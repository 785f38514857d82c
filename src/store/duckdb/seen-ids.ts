import type { DuckDbSession } from './session.js';
import type { EncodedBatch } from './stage-encode.js';

/**
 * The event ids a bulk writer has stored, as a Bloom filter: `mayHave` is never wrong when it says no. A batch's
 * rows it says no to (and that fall outside the time range the ledger held before) cannot repeat a stored event, so
 * they need no look-up in DuckDB; most batches of an import then skip the deduplicating scan. That scan reads every
 * row group whose time range overlaps the batch's: an export is in storage order, several passes over the month, so
 * at 10M demo events it was ~37 ms a batch and ~21 s of the import's ~135 s.
 *
 * Blocked: each id sets 11 bits in one 512-bit block (one cache line). Ids are hashes already; both halves are mixed
 * into the block and the bits anyway, so that ids sharing a half do not share them. When a filter holds as many ids
 * as it was sized for, a filter twice as large is added (a filter cannot grow: its ids are gone); `mayHave` asks
 * each. At 48 bits an id (~65 MB of filters at 10M ids) no false "maybe" showed in 10^6 lookups of a full filter;
 * at 32 bits and 8 probes ~2 in 10^5 did, and with a batch of 16k rows asking every filter, 229 of a 10M import's
 * 582 batches still ran the scan (2 at 48 bits: ~6 s less SQL).
 */
export class SeenIds {
  private readonly filters: Filter[] = [];

  /** `firstBlocks` (a power of two) of 64 bytes: 2 MB, ~350k ids, at first. */
  constructor(private readonly firstBlocks = 1 << 15) {}

  add(hi: number, lo: number): void {
    let f = this.filters.at(-1);
    if (f === undefined || f.size >= f.capacity) {
      f = new Filter(f === undefined ? this.firstBlocks : f.blocks * 2);
      this.filters.push(f);
    }
    f.add(hi, lo);
  }

  mayHave(hi: number, lo: number): boolean {
    for (const f of this.filters) if (f.mayHave(hi, lo)) return true;
    return false;
  }

  /** Ids added. */
  get size(): number {
    let n = 0;
    for (const f of this.filters) n += f.size;
    return n;
  }
}

const BITS_PER_ID = 48;
const BLOCK_WORDS = 16;
const PROBES = 11;

class Filter {
  private readonly words: Uint32Array;
  private readonly blockMask: number;
  /** How many ids it takes at BITS_PER_ID. */
  readonly capacity: number;
  size = 0;

  constructor(readonly blocks: number) {
    this.words = new Uint32Array(blocks * BLOCK_WORDS);
    this.blockMask = blocks - 1;
    this.capacity = Math.floor((blocks * BLOCK_WORDS * 32) / BITS_PER_ID);
  }

  add(hi: number, lo: number): void {
    this.probe(hi, lo, true);
    this.size++;
  }

  mayHave(hi: number, lo: number): boolean {
    return this.probe(hi, lo, false);
  }

  /** Whether all the id's bits are set (setting them first when `set`). */
  private probe(hi: number, lo: number, set: boolean): boolean {
    const base = (mix(hi, lo) & this.blockMask) * BLOCK_WORDS;
    // Each probe takes 9 bits (a word of 16, a bit of 32), then the value is stirred for the next.
    let h = mix(lo, hi);
    for (let i = 0; i < PROBES; i++) {
      const w = base + ((h >>> 5) & 15);
      const bit = 1 << (h & 31);
      if (set) this.words[w]! |= bit;
      else if ((this.words[w]! & bit) === 0) return false;
      h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) + i;
    }
    return true;
  }
}

/** A 32-bit mix of two 32-bit values (murmur3's constants). */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ b, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Deduplication by the ledger's one writer (a DuckDB file has one writing process, ARCHITECTURE.md): the time range
 * the ledger held when the writer began, and the ids it has stored since. Only a row inside that range, or one whose
 * id the filters may have seen, can repeat a stored event; a batch with none skips DuckDB's deduplicating scan.
 *
 * A bulk writer (an import) keeps every id it stored, ~6 bytes each. A long-running one (`serve`) passes
 * `generationIds`: it keeps the ids of its last two generations of that many, and folds each older generation's time
 * range into the range held before, so its memory stays bounded (~4 MB at 350k) while new calls, whose times are
 * past every folded range, still skip the scan. A call whose time is older than the last generation folded (one that
 * started that many calls ago) is looked up in DuckDB, as every row was before.
 */
export class WriterDedup {
  private seen = new SeenIds();
  /** The generation before `seen` (generational only), and the ts ranges (µs) of what each took. */
  private previous: SeenIds | null = null;
  private seenRange: Range | null = null;
  private previousRange: Range | null = null;
  /** The ledger's ts range before the first append, widened by each folded generation; undefined until read. */
  private before: Range | null | undefined;

  constructor(private readonly generationIds?: number) {}

  async load(s: DuckDbSession): Promise<void> {
    if (this.before !== undefined) return;
    const [min, max] = (
      await s.rows('deduplicating the batch', 'SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM events')
    )[0]!;
    this.before = min === null ? null : { min: Number(min), max: Number(max) };
  }

  /** The ts range (µs) of the batch's rows that may repeat a stored event, or null when none may. */
  candidates(b: EncodedBatch): [number, number] | null {
    const hi = b.arrays.get('id_hi') as Uint32Array;
    const lo = b.arrays.get('id_lo') as Uint32Array;
    const ts = b.arrays.get('ts') as Float64Array;
    const before = this.before;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < b.rows; r++) {
      const t = ts[r]!;
      if (
        (before && t >= before.min && t <= before.max) ||
        this.seen.mayHave(hi[r]!, lo[r]!) ||
        this.previous?.mayHave(hi[r]!, lo[r]!)
      ) {
        if (t < min) min = t;
        if (t > max) max = t;
      }
    }
    return min <= max ? [min, max] : null;
  }

  /** Takes in a committed batch's ids (its held rows' too: they are stored). */
  remember(b: EncodedBatch): void {
    const hi = b.arrays.get('id_hi') as Uint32Array;
    const lo = b.arrays.get('id_lo') as Uint32Array;
    for (let r = 0; r < b.rows; r++) this.seen.add(hi[r]!, lo[r]!);
    this.seenRange = widen(this.seenRange, { min: b.minTs, max: b.maxTs });
    if (this.generationIds !== undefined && this.seen.size >= this.generationIds) {
      // The oldest generation's ids are forgotten: its times join the range held before.
      if (this.previousRange) this.before = widen(this.before ?? null, this.previousRange);
      this.previous = this.seen;
      this.previousRange = this.seenRange;
      this.seen = new SeenIds();
      this.seenRange = null;
    }
  }
}

interface Range {
  min: number;
  max: number;
}

/** The smallest range holding both (one range: what lies between two is counted in, never left out). */
function widen(a: Range | null, b: Range): Range {
  return a === null ? b : { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}
