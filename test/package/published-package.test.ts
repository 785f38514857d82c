/**
 * What `npx tokenledger` runs is the published package, not this checkout: `dist/` and the production dependencies
 * only. Every other test runs the sources; this one packs the package as `npm publish` would, unpacks it beside a
 * node_modules that holds only the packages package-lock.json does not mark dev, and runs its bin as a user would:
 * an import of Claude Code logs and its report, then `serve` answering the official openai client (through to the
 * fake provider), an OTLP export (its mapping runs in a worker thread loaded by path) and the dashboard. A runtime
 * import of a dev dependency, or a file `files` leaves out of the package, fails here and nowhere else.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../gateway/fake-provider.js';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/run-cli.js';
import { settledFixtures } from '../helpers/settled-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
let dir: string;
let bin: string;
/** An environment with no agent logs to find and no colour codes in the output. */
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js')))
    throw new Error('dist/ is missing: `npm ci` builds it (the prepare script), or run `npm run build`');
  dir = mkdtempSync(join(tmpdir(), 'tl-package-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string }[];
  execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', dir]);
  const pkg = join(dir, 'package');
  linkProductionDependencies(pkg);
  bin = join(pkg, 'dist/cli/main.js');
  const home = join(dir, 'home');
  mkdirSync(home);
  env = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' };
}, 60_000);

/**
 * The top-level packages of the lockfile that a production install has (not `dev`), linked from this checkout's
 * node_modules. Nested ones come inside their parents' folders, as npm placed them.
 */
function linkProductionDependencies(pkg: string): void {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    const name = key.startsWith('node_modules/') ? key.slice('node_modules/'.length) : null;
    if (name === null || name.includes('/node_modules/') || entry.dev === true) continue;
    const from = join(root, 'node_modules', name);
    if (!existsSync(from)) continue; // an optional package for another platform
    const to = join(pkg, 'node_modules', name);
    mkdirSync(dirname(to), { recursive: true });
    symlinkSync(from, to, 'dir');
  }
}

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('the published package (npx tokenledger)', () => {
  it('ships the bin with its version, and only production dependencies are needed at run time', () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
    const r = run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(version);
  });

  it('imports Claude Code logs and reports them exactly as the sources do', async () => {
    const logs = join(settledFixtures(), 'claude-code/config');
    const packed = join(dir, 'packed.duckdb');
    const imported = run(['import', 'claude-code', logs, '--db', packed]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported [1-9]\d* events? from 3 files/);

    const source = join(dir, 'source.duckdb');
    expect((await runCli(['import', 'claude-code', logs, '--db', source])).code).toBe(0);
    const report = ['report', '--by', 'session_id,model', '--format', 'json'];
    const fromPackage = JSON.parse(run([...report, '--db', packed]).stdout);
    const fromSources = JSON.parse((await runCli([...report, '--db', source])).stdout);
    expect(fromPackage.totals.events).toBeGreaterThan(0);
    expect(fromPackage.rows).toEqual(fromSources.rows);
    expect(fromPackage.totals).toEqual(fromSources.totals);
  });

  describe('serve', () => {
    let fake: FakeProvider;
    let child: ChildProcess;
    let url: string;
    let otlpPort: number;
    let stderr = '';
    const ledger = () => join(dir, 'served.duckdb');

    beforeAll(async () => {
      fake = await startFakeProvider();
      otlpPort = await freePort();
      child = spawn(
        process.execPath,
        [
          bin,
          'serve',
          '--db',
          ledger(),
          '--port',
          '0',
          '--otlp-port',
          String(otlpPort),
          '--otlp-grpc-port',
          '0',
          '--upstream',
          `openai=${fake.url}/v1`,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      let out = '';
      url = await new Promise<string>((resolveUrl, reject) => {
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /Dashboard:\s+(\S+)/.exec(out);
          if (m) resolveUrl(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
      });
    }, 60_000);

    afterAll(async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      await fake.close();
    });

    it('meters a gateway call, takes an OTLP export, serves the dashboard, and stores both on a clean stop', async () => {
      const base = new URL(url).origin;
      const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${base}/v1` });
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(response.headers.get('x-tokenledger-event-id')).toMatch(/^[0-9a-f]{16}$/);
      const gatewayTokens = data.usage!.prompt_tokens + data.usage!.completion_tokens;

      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const kv = (key: string, v: string | number) =>
        typeof v === 'string' ? { key, value: { stringValue: v } } : { key, value: { intValue: String(v) } };
      const export_ = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [kv('service.name', 'shop'), kv('team.id', 'payments')] },
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: '0af7651916cd43dd8448eb211c80319c',
                      spanId: '00f067aa0ba902b7',
                      name: 'chat gpt-4o-mini',
                      startTimeUnixNano: String(nowNs - 1_000_000_000n),
                      endTimeUnixNano: String(nowNs),
                      attributes: [
                        kv('gen_ai.operation.name', 'chat'),
                        kv('gen_ai.provider.name', 'openai'),
                        kv('gen_ai.request.model', 'gpt-4o-mini'),
                        kv('gen_ai.usage.input_tokens', 1200),
                        kv('gen_ai.usage.output_tokens', 300),
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      expect(export_.status).toBe(200);

      // The sign-in link sets the session cookie and sends the browser to the dashboard, whose page and script load.
      const login = await fetch(url, { redirect: 'manual' });
      expect(login.status).toBe(302);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(new URL(login.headers.get('location')!, base), { headers: { cookie } });
      expect(page.status).toBe(200);
      const html = await page.text();
      const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
      expect(script, 'the dashboard page names its script').toBeDefined();
      const js = await fetch(new URL(script!, base), { headers: { cookie } });
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toContain('javascript');

      const exited = new Promise<number | null>((r) => child.once('exit', r));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');

      type Row = Record<
        | 'input_tokens'
        | 'cache_read_tokens'
        | 'cache_write_5m_tokens'
        | 'cache_write_1h_tokens'
        | 'output_tokens',
        number
      > & { source: string };
      const bySource = JSON.parse(
        run(['report', '--db', ledger(), '--by', 'source', '--format', 'json']).stdout,
      ).rows as Row[];
      // Prompt tokens include the cached ones, which the ledger keeps apart.
      const tokensOf = (s: string) => {
        const r = bySource.find((x) => x.source === s)!;
        return (
          r.input_tokens +
          r.cache_read_tokens +
          r.cache_write_5m_tokens +
          r.cache_write_1h_tokens +
          r.output_tokens
        );
      };
      expect(bySource.map((r) => r.source).sort()).toEqual(['gateway', 'otlp']);
      expect(tokensOf('gateway')).toBe(gatewayTokens);
      expect(tokensOf('otlp')).toBe(1500);
    });
  });
});
