import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { type APIError } from 'openai';
import { stringify } from 'yaml';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import type { MeteredProvider } from './metered-provider.js';

/** A temp dir with a tokenledger.config.yaml holding `config`. */
export async function configDir(
  config: Record<string, unknown>,
): Promise<{ dir: string; config: string; ledger: string; rm(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-budget-'));
  const path = join(dir, 'tokenledger.config.yaml');
  await writeFile(path, stringify(config));
  return {
    dir,
    config: path,
    ledger: join(dir, 'ledger.duckdb'),
    rm: () => rm(dir, { recursive: true, force: true }),
  };
}

export function serve(
  d: { dir: string; config: string; ledger: string },
  up: MeteredProvider,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningServer> {
  return startServer({
    ledgerPath: d.ledger,
    configPath: d.config,
    port: 0,
    upstream: [`openai=${up.url}/v1`],
    cwd: d.dir,
    env,
    openStore: (p) => createDuckDbStore(p),
    log: () => {},
  });
}

export function client(url: string, team = 'load'): OpenAI {
  return new OpenAI({
    apiKey: 'sk-caller',
    baseURL: `${url}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-tokenledger-team': team },
  });
}

export type Outcome =
  | { ok: true; headers: Headers }
  | { ok: false; status: number; body: unknown; headers: Headers };

/** One gpt-4o call with max_tokens 100; the model leaves `spare` of them unused. `extra` ends the prompt. */
export async function call(c: OpenAI, i: number, model = 'gpt-4o', extra = ''): Promise<Outcome> {
  try {
    const content = `call ${i} [spare ${i % 7}]${extra}`;
    const { response } = await c.chat.completions
      .create({ model, max_tokens: 100, messages: [{ role: 'user', content }] })
      .withResponse();
    return { ok: true, headers: response.headers };
  } catch (e) {
    const err = e as APIError;
    if (err.status === undefined) throw e;
    return { ok: false, status: err.status, body: err.error, headers: err.headers! };
  }
}
