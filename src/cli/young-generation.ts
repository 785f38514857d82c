import { keepV8Flag } from '../v8-flags.js';

/**
 * Keeps V8's young generation at the size it has now for the rest of the process: it stops growing its semi-spaces
 * (normally doubled, up to 16 MB each, while much survives scavenges). V8 reads this flag each time it would grow
 * them, so setting it while running works, where `--max-semi-space-size` only counts at start-up.
 *
 * For agent-log and provider-export imports: reading 300 MB of Claude Code logs parses ~50 MB of JSON into
 * short-lived objects, and the grown young generation was ~30 MB of the import's peak RSS (bench/import: 256–259 →
 * 223–226 MB, for ~0.05 s more, bench/RESULTS.md). Not for the canonical import, whose parse worker shares the flag
 * (1M events: 17.2–18.1 → 22.1–22.3 s), nor for the server (CPU per gateway call +8–15%).
 */
export function keepYoungGenerationSmall(): void {
  keepV8Flag('--semi-space-growth-factor=1');
}
