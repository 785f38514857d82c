import { type GitHistory, type GitLine, matchSquashes, readGitLine, resolveRef } from './git-history.js';
import { branchTips } from './squash-merges.js';

/** How a cache reads: the line (slow) and its squash merges (quicker), as readGitHistory does in one. */
export interface HistoryReader {
  line(repo: string, ref: string): Promise<GitLine>;
  squashes(line: GitLine): Promise<GitHistory>;
}

const GIT: HistoryReader = { line: (repo, ref) => readGitLine(repo, { ref }), squashes: matchSquashes };

/**
 * The server's histories, each kept while its branch's tip stays where it was. Reading a line replays every patch
 * on it (about a second per thousand changes: bench/RESULTS.md, "ROI"); asking where the tip is takes a few
 * milliseconds, so the ROI page reads a repository again only after something was merged. The squash merges on the
 * line are matched again, from the line kept, whenever the repository's branches changed (squash-merges.ts): a
 * branch fetched after its squash landed names it from then on. Requests that come while a read runs share it; a
 * failed read is not kept.
 */
export class HistoryCache {
  /** By repository and ref: the tip and branches as they were when the read began, and the reads. */
  private readonly kept = new Map<
    string,
    { tip: string | null; branches: string; line: Promise<GitLine>; history: Promise<GitHistory> }
  >();

  constructor(private readonly reader: HistoryReader = GIT) {}

  async get(repo: string, ref: string): Promise<GitHistory> {
    const key = `${repo}\0${ref}`;
    // One after the other: where `repo` is no repository, resolveRef says so.
    const tip = await resolveRef(repo, ref);
    const branches = await branchTips(repo);
    const held = this.kept.get(key);
    if (held !== undefined && held.tip === tip && held.branches === branches) return held.history;
    // Set before any await, so a request that finds the same tip and branches next shares this read.
    const line = held !== undefined && held.tip === tip ? held.line : this.reader.line(repo, ref);
    const entry = { tip, branches, line, history: line.then((l) => this.reader.squashes(l)) };
    this.kept.set(key, entry);
    entry.history.catch(() => {
      if (this.kept.get(key) === entry) this.kept.delete(key);
    });
    return entry.history;
  }
}
