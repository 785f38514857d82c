// tsc does not copy data files or set the executable bit on the CLI entry point.
import { chmodSync, cpSync, existsSync } from 'node:fs';

if (existsSync('src/pricing/data')) cpSync('src/pricing/data', 'dist/pricing/data', { recursive: true });
if (existsSync('dist/cli/main.js')) chmodSync('dist/cli/main.js', 0o755);

// The price catalog's provider list as JSON, so commands read it instead of importing the package's 800 kB module
// (src/pricing/bundled-catalog.ts).
const { writeCatalogSnapshot } = await import('../dist/pricing/bundled-catalog.js');
await writeCatalogSnapshot('dist/pricing/data');
