import { type GitHistory, readGitHistory, resolveRef } from './git-history.js';

/**
 * The server's histories, each kept while its branch's tip stays where it was. Reading a history replays every
 * patch of the line (about a second per thousand changes: bench/RESULTS.md, "ROI"); asking where the tip is takes a
 * few milliseconds, so the ROI page reads a repository again only after something was merged. Requests that come
 * while a read runs share it; a failed read is not kept.
 */
export class HistoryCache {
  /** By repository and ref: the tip it was at when its read began, and the read. */
  private readonly kept = new Map<string, { tip: string | null; history: Promise<GitHistory> }>();

  constructor(private readonly read: (repo: string, ref: string) => Promise<GitHistory> = readHistory) {}

  async get(repo: string, ref: string): Promise<GitHistory> {
    const key = `${repo}\0${ref}`;
    const tip = await resolveRef(repo, ref);
    const held = this.kept.get(key);
    if (held !== undefined && held.tip === tip) return held.history;
    // Set before any await, so a request that finds the same tip next shares this read.
    const entry = { tip, history: this.read(repo, ref) };
    this.kept.set(key, entry);
    entry.history.catch(() => {
      if (this.kept.get(key) === entry) this.kept.delete(key);
    });
    return entry.history;
  }
}

function readHistory(repo: string, ref: string): Promise<GitHistory> {
  return readGitHistory(repo, { ref });
}
