import { keepV8Flag } from '../v8-flags.js';

/**
 * The V8 settings of a server process (the OTLP benchmark sets them too). V8 allocates objects straight into the old
 * generation from allocation sites it sees surviving young. For a gateway's calls that choice costs more than it
 * saves, and whether V8 makes it differs from run to run: a closed loop of JSON calls spent 5.7–8.3 µs a call in
 * scavenges without it and 5.7–29.5 with it (bench/RESULTS.md, Gateway, "Thirtieth session").
 */
export function setServerV8Flags(): void {
  keepV8Flag('--no-allocation-site-pretenuring');
}
