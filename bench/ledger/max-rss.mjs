// Preloaded into a benchmarked child (`node --import ./max-rss.mjs …`): writes its peak resident set size in bytes
// to $MAX_RSS_FILE when it exits, so the parent measures the child alone.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.MAX_RSS_FILE)
    writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
});
