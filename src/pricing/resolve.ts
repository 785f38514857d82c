import { nameParts } from './canonical.js';
import type { CatalogModel } from './catalog.js';
import { type CatalogHit, type CatalogIndex, describeHit } from './catalog-index.js';
import type { OverrideModel, Overrides } from './overrides.js';

/** The model whose prices apply: a catalog entry, possibly changed by overrides, or a model only the overrides define. */
export interface PriceEntry {
  /** `provider/id` of the entry; overrides that change prices are keyed by it. */
  key: string;
  /** The provider whose list holds the entry (openai for `azure/gpt-4o`), or the override's provider. */
  listedBy: string;
  id: string;
  catalog: CatalogModel | null;
  /** Override price definitions for this entry, in file order (later ones win where ranges overlap). */
  changes: readonly OverrideModel[];
  /** Claude models bill 1-hour cache writes at 2x input when no 1h price is listed. */
  claude: boolean;
}

/** What a model name (and the event's provider, if any) resolves to. */
export interface Resolution {
  /** Canonical model id for the ledger: the vendor's own catalog id where one exists (`claude-sonnet-4-5`). */
  model: string;
  /** The provider that bills the call (catalog id, e.g. `aws` for Bedrock), or the override's provider. */
  provider: string;
  entry: PriceEntry;
  /** How the name matched: catalog rule, override model or alias. */
  rule: string;
  /** `name → target` when an alias from the overrides file applied. */
  alias: string | null;
}

/** Default provider for an override model that names none. */
export const CUSTOM_PROVIDER = 'custom';

/** Name resolution over the catalog and the overrides in force. Pure; callers memoise. */
export class Resolver {
  private readonly added = new Map<string, PriceEntry>();
  private readonly changes = new Map<string, OverrideModel[]>();
  private readonly aliases = new Map<string, { target: string; provider: string | null }>();

  constructor(
    private readonly index: CatalogIndex,
    overrides: Overrides | null,
  ) {
    for (const [name, target] of overrides?.aliases ?? []) this.aliases.set(name, { target, provider: null });
    const addedByKey = new Map<
      string,
      { provider: string; id: string; defs: OverrideModel[]; names: string[] }
    >();
    for (const m of overrides?.models ?? []) {
      const hit = index.lookup(m.provider, m.id);
      const id = m.id.toLowerCase();
      // An override names a catalog model only when its id is that model's id (or canonical id); anything else,
      // even a name a loose catalog rule would catch (`claude-sonnet-4-5-ft`), is a model of its own.
      if (hit && (hit.model.id.toLowerCase() === id || hit.canonical?.model.id.toLowerCase() === id)) {
        const key = entryKey(hit);
        this.changes.set(key, [...(this.changes.get(key) ?? []), m]);
        for (const n of m.names) this.aliases.set(n.toLowerCase(), { target: m.id, provider: m.provider });
        continue;
      }
      const provider = m.provider ?? CUSTOM_PROVIDER;
      const key = `${provider}/${m.id}`;
      const added = addedByKey.get(key) ?? { provider, id: m.id, defs: [], names: [] };
      added.defs.push(m);
      added.names.push(m.id, ...m.names);
      addedByKey.set(key, added);
    }
    for (const [key, a] of addedByKey) {
      const entry: PriceEntry = {
        key,
        listedBy: a.provider,
        id: a.id,
        catalog: null,
        changes: a.defs,
        claude: a.id.toLowerCase().includes('claude'),
      };
      for (const n of a.names) this.added.set(n.toLowerCase(), entry);
    }
  }

  resolve(hint: string | null, raw: string): Resolution | null {
    const name = raw.trim().toLowerCase();
    if (name === '') return null;
    const alias = this.aliases.get(name) ?? this.aliases.get(nameParts(name).rest);
    if (alias) {
      const r = this.direct(alias.provider ?? hint, alias.target);
      return r && { ...r, alias: `${name} → ${alias.target}` };
    }
    return this.direct(hint, name);
  }

  private direct(hint: string | null, raw: string): Resolution | null {
    const name = raw.trim().toLowerCase();
    const added = this.added.get(name) ?? this.added.get(nameParts(name).rest);
    if (added) {
      return {
        model: added.id,
        provider: added.listedBy,
        entry: added,
        rule: `overrides ${added.changes.map((c) => c.where).join(', ')}`,
        alias: null,
      };
    }
    const hit = this.index.lookup(hint, name);
    if (!hit) return null;
    const key = entryKey(hit);
    return {
      model: hit.canonical?.model.id ?? hit.model.id,
      provider: hit.provider.id,
      entry: {
        key,
        listedBy: hit.listedBy.id,
        id: hit.model.id,
        catalog: hit.model,
        changes: this.changes.get(key) ?? [],
        claude: hit.model.id.includes('claude') || hit.canonical?.model.id.includes('claude') === true,
      },
      rule: describeHit(hit),
      alias: null,
    };
  }
}

function entryKey(hit: CatalogHit): string {
  return `${hit.listedBy.id}/${hit.model.id}`;
}
