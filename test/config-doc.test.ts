import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/gateway/config.js';
import { configSchema } from '../src/gateway/config-schema.js';
import { parseIdentities } from '../src/roi/identities.js';
import { readYamlLines } from '../src/yaml-lines.js';
import { offeredKeys, zodDef } from '../src/zod-problem.js';
import { docsPages, docsText } from './helpers/docs-text.js';

// Every key tokenledger.config.yaml takes is written in the docs, as `key`, `path.key` or in a YAML example (`key:`),
// so a key added to the schema without its documentation fails here (config-schema.ts: "docs/gateway.md documents
// every key; keep the two in step").
const docs = docsText();

/** The keys of every object in the schema, by path (`upstreams.*.base_url`); keys that only refuse a value are left out. */
function keys(s: unknown, path: string[] = [], out = new Map<string, string>()): Map<string, string> {
  const def = zodDef(s);
  switch (def.type) {
    case 'object':
      for (const [k, v] of offeredKeys(def)) {
        out.set([...path, k].join('.'), k);
        keys(v, [...path, k], out);
      }
      break;
    case 'array':
      keys(def.element, path, out);
      break;
    case 'record':
      keys(def.valueType, [...path, '*'], out);
      break;
    case 'union':
      for (const o of def.options as unknown[]) keys(o, path, out);
      break;
    case 'intersection':
      keys(def.left, path, out);
      keys(def.right, path, out);
      break;
  }
  return out;
}

const PEOPLE = '# people.yaml';

/** The YAML blocks that are people files (docs/roi.md), marked by their first line. */
function peopleExamples(): { where: string; yaml: string }[] {
  return docsPages().flatMap(([page, text]) =>
    [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
      .filter((m) => m[1]!.startsWith(PEOPLE))
      .map((m) => ({ where: `${page}:${text.slice(0, m.index).split('\n').length}`, yaml: m[1]! })),
  );
}

describe('the config file keys and the docs', () => {
  const all = keys(configSchema);

  it('finds the keys it checks', () => {
    expect(all.size).toBeGreaterThan(40);
  });

  it.each([...all])('documents %s', (path, key) => {
    const dotted = path.replace(/^.*\*\./, '');
    const written = [`\`${key}`, `${key}:`, dotted].some((form) => docs.includes(form));
    expect(written, `no doc mentions ${path}`).toBe(true);
  });

  // The other way round: a config a page shows (a whole file or the part a section is about) is one the server
  // starts with, so no example sends a user to a key, value or shape that start-up refuses (CFG_INVALID).
  const examples = docsPages().flatMap(([page, text]) =>
    [...text.matchAll(/^( *)```yaml\n([\s\S]*?)^ *```$/gm)]
      .map((m) => ({
        where: `${page}:${text.slice(0, m.index).split('\n').length}`,
        yaml: m[2]!.replace(new RegExp(`^${m[1]}`, 'gm'), ''),
      }))
      // The overrides file has a page and a check of its own (docs/pricing.md, src/pricing/overrides.test.ts); the
      // ROI people file is checked below; an OpenTelemetry Collector's config (docs/otel/gpu-energy.md) is not ours.
      .filter(
        (e) =>
          !e.yaml.startsWith('# tokenledger.prices.yaml') &&
          !e.yaml.startsWith(PEOPLE) &&
          !e.yaml.startsWith('# otelcol.yaml'),
      ),
  );
  const people = peopleExamples();

  it.each(people.map((e) => [e.where, e.yaml] as const))(
    'the people file at %s is one `tokenledger roi --people` takes',
    (where, yaml) => expect(() => parseIdentities(yaml, where)).not.toThrow(),
  );

  it('finds the config examples it checks', () => {
    expect(examples.length).toBeGreaterThan(5);
  });

  it.each(examples.map((e) => [e.where, e.yaml] as const))(
    'the example at %s is a config the server takes',
    (where, yaml) => {
      const read = readYamlLines(yaml);
      expect(read.ok, `${where}: not YAML`).toBe(true);
      if (read.ok) expect(() => resolveConfig(read.value, {}, where, read.lineOf)).not.toThrow();
    },
  );
});
