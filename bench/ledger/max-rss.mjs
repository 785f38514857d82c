// Preloaded into a benchmarked child (`node --import ./max-rss.mjs …`): writes its peak resident set size in bytes,
// then its user and system CPU time in µs, to $MAX_RSS_FILE when it exits, so the parent measures the child alone.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.MAX_RSS_FILE) {
    const u = process.resourceUsage();
    writeFileSync(process.env.MAX_RSS_FILE, `${u.maxRSS * 1024} ${u.userCPUTime} ${u.systemCPUTime}`);
  }
});
