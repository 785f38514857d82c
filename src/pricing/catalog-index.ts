import { dashDates, nameParts, routeAlias, stripDateSuffix, toolNameForms } from './canonical.js';
import type { Catalog, CatalogModel, CatalogProvider } from './catalog.js';
import { formatRule } from './match-rule.js';

/** A catalog model found for a name: the provider that bills it and the entry whose prices apply. */
export interface CatalogHit {
  /** The provider billing the call (azure for `azure/gpt-4o` even though the prices are openai's). */
  provider: CatalogProvider;
  model: CatalogModel;
  /** The provider whose catalog lists `model` (differs from `provider` through fallback_model_providers). */
  listedBy: CatalogProvider;
  /** The exact string the model's rule matched. */
  matched: string;
  /** The model's own id in its vendor's catalog (`claude-sonnet-4-5` for a Bedrock Claude id); null if none. */
  canonical: { provider: CatalogProvider; model: CatalogModel } | null;
}

/**
 * Lookups over a catalog: which provider a token names and which model a name is. Built once per catalog; every
 * answer is memoised by the pricer, so these scans run once per distinct name.
 */
export class CatalogIndex {
  private readonly byId = new Map<string, CatalogProvider>();

  constructor(readonly catalog: Catalog) {
    for (const p of catalog.providers) this.byId.set(p.id, p);
  }

  /** A provider from a token such as `anthropic`, `bedrock`, `vertex_ai`, `azure_ai` (genai-prices' rule, plus aliases). */
  provider(token: string | null): CatalogProvider | null {
    if (!token) return null;
    const t = token.trim().toLowerCase();
    const alias = routeAlias(t);
    return (
      this.byId.get(t) ??
      (alias ? this.byId.get(alias) : undefined) ??
      this.catalog.providers.find((p) => p.providerMatch?.(t)) ??
      null
    );
  }

  /** Resolves a name; `hint` is the event's provider, if any. Null when no catalog model matches. */
  lookup(hint: string | null, raw: string): CatalogHit | null {
    const parts = nameParts(raw);
    if (parts.name === '') return null;
    const hinted = this.provider(hint);
    const routed = parts.route ? this.provider(parts.route) : null;
    const inferred = parts.inferredRoute ? this.provider(parts.inferredRoute) : null;
    const attempts: [CatalogProvider | null, string][] = [
      [hinted, parts.name],
      [hinted && hinted === routed ? hinted : null, parts.rest],
      [routed, parts.rest],
      [inferred, parts.rest],
      // genai-prices' own order: the provider whose model_match takes the full name (fireworks' `accounts/…` ids).
      [this.catalog.providers.find((p) => p.modelMatch?.(parts.name)) ?? null, parts.name],
    ];
    const home = this.home(parts.bare, parts.vendor);
    for (const [provider, name] of attempts) {
      if (!provider) continue;
      const hit = this.within(provider, name);
      if (hit) return { provider, ...hit, canonical: home };
    }
    if (home)
      return {
        provider: home.provider,
        listedBy: home.provider,
        model: home.model,
        matched: parts.bare,
        canonical: home,
      };
    // Last resort: a catalog id written exactly (e.g. an OpenRouter id `meta-llama/llama-3.3-70b-instruct`).
    // OpenRouter first: `vendor/model` is its naming convention, and resellers copy its ids. A host that falls back
    // to another provider listing the id resells that provider's models (azure → openai for text-embedding-3-small,
    // which no model_match rule takes): with no provider named, the vendor bills the call, not a host.
    const listing = this.catalog.providers
      .filter((p) => p.models.some((m) => m.id.toLowerCase() === parts.name))
      .sort((a, b) => Number(b.id === 'openrouter') - Number(a.id === 'openrouter'));
    const vendor =
      listing.find((p) => !p.fallbacks.some((f) => listing.some((q) => q.id === f))) ?? listing[0];
    const model = vendor?.models.find((m) => m.id.toLowerCase() === parts.name);
    return vendor && model
      ? { provider: vendor, listedBy: vendor, model, matched: parts.name, canonical: null }
      : null;
  }

  /** The vendor's own entry for a bare name: the provider by its model_match rule (or the vendor token), then the model. */
  private home(bare: string, vendor: string | null): CatalogHit['canonical'] {
    const byModel = this.catalog.providers.find((p) => p.modelMatch?.(bare)) ?? null;
    for (const provider of [byModel, this.provider(vendor)]) {
      if (!provider) continue;
      const hit = this.within(provider, bare);
      if (hit) return { provider: hit.listedBy, model: hit.model };
    }
    return null;
  }

  /**
   * A model of `provider` (or of its fallback providers) for `name`, trying its dashed-date and undated forms, then
   * the forms other tools write it in (canonical.ts `toolNameForms`).
   */
  private within(provider: CatalogProvider, name: string): Omit<CatalogHit, 'provider' | 'canonical'> | null {
    for (const candidate of new Set([name, dashDates(name), stripDateSuffix(name), ...toolNameForms(name)])) {
      const hit = this.matchIn(provider, candidate, true);
      if (hit) return hit;
    }
    return null;
  }

  private matchIn(
    provider: CatalogProvider,
    name: string,
    withFallbacks: boolean,
  ): Omit<CatalogHit, 'provider' | 'canonical'> | null {
    const model = provider.models.find((m) => m.matches(name));
    if (model) return { model, listedBy: provider, matched: name };
    if (!withFallbacks) return null;
    for (const id of provider.fallbacks) {
      const fallback = this.byId.get(id);
      const hit = fallback ? this.matchIn(fallback, name, false) : null;
      if (hit) return hit;
    }
    return null;
  }
}

/** How a hit matched, for `prices show`. */
export function describeHit(hit: CatalogHit): string {
  const rule = formatRule(hit.model.rule);
  const short = rule.length > 160 ? `${rule.slice(0, 157)}…` : rule;
  return `catalog ${hit.listedBy.id}/${hit.model.id} (rule: ${short}; matched "${hit.matched}")`;
}
