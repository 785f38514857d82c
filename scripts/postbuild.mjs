// tsc does not copy data files or set the executable bit on the CLI entry point.
import { chmodSync, cpSync, existsSync } from 'node:fs';

if (existsSync('src/pricing/data')) cpSync('src/pricing/data', 'dist/pricing/data', { recursive: true });
if (existsSync('dist/cli/main.js')) chmodSync('dist/cli/main.js', 0o755);
