import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { TokenledgerError } from '../errors.js';
import type { LearnedRouter } from '../router/learned-router.js';
import { parseRouterFile, type RouterMeasurement } from '../router/router-file.js';

/**
 * The routers of `routers:` (model name → file), read at start-up so a missing or damaged file fails there, not at
 * the first call for its model.
 */
export async function loadRouters(
  files: Readonly<Record<string, string>>,
  configDir: string,
): Promise<ReadonlyMap<string, LoadedRouter>> {
  const routers = new Map<string, LoadedRouter>();
  for (const [model, file] of Object.entries(files))
    routers.set(model, await readRouter(model, file, configDir));
  return routers;
}

export interface LoadedRouter {
  router: LearnedRouter;
  measured: RouterMeasurement;
}

/**
 * What each router's calls are compared with in `route savings` (router/savings.ts): its file's strongest model,
 * named as the config's `models.aliases` say upstreams serve it (the file names the dataset's models).
 */
export function strongestModels(
  routers: ReadonlyMap<string, LoadedRouter>,
  aliases: Readonly<Record<string, string>>,
): ReadonlyMap<string, string> {
  return new Map(
    [...routers].map(([name, r]) => [name, aliases[r.measured.strongest] ?? r.measured.strongest]),
  );
}

/** One router file of `routers:`, with what it measured; a relative path is read from the config file's folder. */
async function readRouter(model: string, file: string, configDir: string): Promise<LoadedRouter> {
  const path = isAbsolute(file) ? file : join(configDir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new TokenledgerError(
      'ROUTER_BAD_FILE',
      `routers.${model}: cannot read ${path} (${(cause as Error).message}); ` +
        'write it with `tokenledger route train`',
      { cause },
    );
  }
  return parseRouterFile(text, path);
}
