#!/usr/bin/env node
import { main } from './program.js';

// A reader that stops early (`tokenledger events | head`) closes the pipe. What it did not read has nowhere to go,
// which is not an error, as for any Unix filter: later writes are dropped and the command finishes as it would.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
});

process.exitCode = await main(process.argv);
