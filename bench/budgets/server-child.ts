import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/** A benchmark target: one `tokenledger serve` child, pinned to a core when taskset exists. */
export interface ServerChild {
  url: string;
  /** The child's CPU time so far (user + system, µs), as it reports it. */
  cpu(): Promise<number>;
  /** Moves the child's WAL into its store now (the store's work then lands in the CPU time read next). */
  drain(): Promise<void>;
  /** Sends a line to the child (profile-start, profile-stop FILE). */
  send(line: string): void;
  stop(): Promise<void>;
}

export const HAS_TASKSET = spawnSync('taskset', ['-V']).status === 0;

/** Pins this process (every thread) to `core`; false when taskset is missing. */
export function pinSelf(core: number): boolean {
  if (!HAS_TASKSET) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)]).status === 0;
}

export async function startServerChild(o: {
  script: string;
  args: string[];
  core: number;
  env: NodeJS.ProcessEnv;
  nodeArgs?: string[];
}): Promise<ServerChild> {
  const argv = [...(o.nodeArgs ?? []), o.script, ...o.args];
  const proc: ChildProcess = HAS_TASKSET
    ? spawn('taskset', ['-c', String(o.core), process.execPath, ...argv], { env: o.env })
    : spawn(process.execPath, argv, { env: o.env });
  proc.stderr!.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
  const lines: Interface = createInterface({ input: proc.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((r) => waiting.push(r));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ready = await Promise.race([next(), exited.then(() => 'exited')]);
  if (!ready.startsWith('ready ')) throw new Error(`benchmark server did not start: ${ready}`);
  const url = ready.slice('ready '.length);
  return {
    url,
    async cpu() {
      const line = next();
      proc.stdin!.write('cpu\n');
      return Number((await line).split(' ')[1]);
    },
    async drain() {
      const line = next();
      proc.stdin!.write('drain\n');
      const said = await line;
      if (said !== 'drained') throw new Error(`benchmark server: ${said}`);
    },
    send(line) {
      proc.stdin!.write(`${line}\n`);
    },
    async stop() {
      proc.stdin!.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}
