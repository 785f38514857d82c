import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a V8 CPU profile's time went: self time by function (top N) and inclusive time of the functions given.
 * `node --import tsx bench/gateway/profile-report.ts DIR_OR_FILE [requests]` — with the request count, as µs/request.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const arg = process.argv[2]!;
const file = arg.endsWith('.cpuprofile')
  ? arg
  : join(arg, readdirSync(arg).find((f) => f.endsWith('.cpuprofile'))!);
const requests = Number(process.argv[3] ?? 0);
const p = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
};
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++)
  self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: Node) =>
  `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(gw-js|node_modules)\//, '')}:${n.callFrame.lineNumber + 1}`;
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self]
  .filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)')
  .reduce((a, [, v]) => a + v, 0);
const busy = total - idle;
const fmt = (us: number) =>
  `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%${requests ? ` ${(us / requests).toFixed(1).padStart(6)} µs/req` : ''}`;
console.log(`profile ${file}: ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s`);

const selfBy = new Map<string, number>();
for (const [id, t] of self) {
  const k = name(byId.get(id)!);
  selfBy.set(k, (selfBy.get(k) ?? 0) + t);
}
console.log('\nself time, top 45:');
for (const [k, v] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${fmt(v)}  ${k}`);

// Inclusive time per function name: each sample counted once per distinct function on its stack.
const incl = new Map<string, number>();
for (const [id, t] of self) {
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const k = name(byId.get(n)!);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + t);
  }
}
console.log('\ninclusive time, top 70:');
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 70)))
  console.log(`${fmt(v)}  ${k}`);
