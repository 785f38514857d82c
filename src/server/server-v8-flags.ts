import { keepV8Flag } from '../v8-flags.js';

/**
 * The V8 settings of a server process (the OTLP benchmark sets them too). V8 allocates objects straight into the old
 * generation from allocation sites it sees surviving young. For a gateway's calls that choice costs more than it
 * saves, and whether V8 makes it differs from run to run: a closed loop of JSON calls spent 5.7–8.3 µs a call in
 * scavenges without it and 5.7–29.5 with it (bench/HISTORY.md, Gateway, "Thirtieth session").
 *
 * Only flags V8 reads at each collection can be set here, while running: `--single-threaded-gc`, read when the heap
 * is set up, aborts V8 (Node 20) at the end of the next full collection when set this way ("Thirty-fifth session").
 */
export function setServerV8Flags(): void {
  keepV8Flag('--no-allocation-site-pretenuring');
}
