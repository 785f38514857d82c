/**
 * Model-name canonicalisation: the pure string rules that take a name as a caller, a gateway or a log wrote it
 * (`bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0`, `vertex_ai/claude-sonnet-4-5@20250929`,
 * `openrouter/anthropic/claude-sonnet-4.5`, `gpt-4o-2024-08-06`) apart into the pieces resolve.ts looks up in the
 * catalog. Matching itself uses the catalog's own rules (match-rule.ts); these helpers only prepare candidates.
 */

/** Route spellings that the catalog's own provider ids and provider_match rules do not cover. */
const ROUTE_ALIASES: Readonly<Record<string, string>> = {
  azure_ai: 'azure',
  'azure-openai': 'azure',
  azure_openai: 'azure',
  fireworks_ai: 'fireworks',
  'fireworks-ai': 'fireworks',
  vertex_ai_beta: 'google',
  gemini: 'google',
  'google-ai-studio': 'google',
  xai: 'x-ai',
  together_ai: 'together',
  'together-ai': 'together',
  zhipu: 'zhipuai',
  moonshot: 'moonshotai',
};

/** A provider token as written, mapped through ROUTE_ALIASES (null when there is no alias). */
export function routeAlias(token: string): string | null {
  return ROUTE_ALIASES[token] ?? null;
}

// Bedrock model ids: optional cross-region inference prefix, vendor, model, optional `-vN[:M]` version.
const BEDROCK =
  /^(?:(?:us|eu|apac|au|jp|ca|global|us-gov|in|sa|me|af|mx)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer|google|nvidia|twelvelabs|stability|luma|moonshot|minimax)\.(.+)$/;
const BEDROCK_VERSION = /-v\d+(?::\d+)?$|:\d+$/;

export interface NameParts {
  /** The lower-cased, trimmed name. */
  name: string;
  /** First path segment when the name has one (`openrouter` in `openrouter/anthropic/claude-…`). */
  route: string | null;
  /** The name after the route segment. */
  rest: string;
  /** A provider implied by the shape of the name: `bedrock` for Bedrock ids, `vertex_ai` for `model@version`. */
  inferredRoute: 'bedrock' | 'vertex_ai' | null;
  /** Vendor named inside the id (`anthropic` in `us.anthropic.claude-…` or `anthropic/claude-…`). */
  vendor: string | null;
  /** The bare model name: no route, vendor, region, Bedrock version, Vertex `@version` or `:variant`. */
  bare: string;
}

/** Splits a model name into the candidates the resolver tries. */
export function nameParts(raw: string): NameParts {
  const name = raw.trim().toLowerCase();
  const slash = name.indexOf('/');
  const route = slash > 0 ? name.slice(0, slash) : null;
  const rest = slash > 0 ? name.slice(slash + 1) : name;
  let inferredRoute: NameParts['inferredRoute'] = null;
  let vendor: string | null = null;
  const segments = rest.split('/');
  let bare = segments[segments.length - 1] ?? rest;
  if (segments.length > 1) vendor = segments[segments.length - 2] ?? null;
  const bedrock = BEDROCK.exec(bare);
  if (bedrock) {
    inferredRoute = 'bedrock';
    vendor = bedrock[1] ?? vendor;
    bare = bedrock[2]!.replace(BEDROCK_VERSION, '');
  }
  const at = bare.indexOf('@');
  if (at > 0) {
    inferredRoute ??= 'vertex_ai';
    bare = bare.slice(0, at);
  }
  bare = bare.replace(/:[a-z][a-z0-9-]*$/, '');
  return { name, route, rest, inferredRoute, vendor, bare };
}

const COMPACT_DATE = /-(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g;

/**
 * `claude-3-5-sonnet-20241022` → `claude-3-5-sonnet-2024-10-22`: genai-prices retries a name with its compact dates
 * spelled with dashes (dist/index.js `xe`), because some catalog rules list only the dashed form.
 */
export function dashDates(name: string): string {
  return name.replace(COMPACT_DATE, (whole, y: string, m: string, d: string) => {
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d)
      ? `-${y}-${m}-${d}`
      : whole;
  });
}

/** Drops a trailing snapshot date (`-20250929`, `-2024-08-06`) or `-latest`, for names the catalog lists undated. */
export function stripDateSuffix(name: string): string {
  return name.replace(/-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$/, '');
}

const VERSION_FIRST_CLAUDE = /^claude-(\d+)(?:\.(\d+))?-(opus|sonnet|haiku)(?:-[a-z0-9.-]*)?$/;
const EFFORT_SUFFIX = /^((?:gpt|o\d)[a-z0-9.-]*?)-(?:minimal|low|medium|high|xhigh)$/;

/**
 * Forms of a name as tools other than the vendors write it, tried after the name itself matched nothing. Cursor's
 * Admin API usage events put the Claude version first with a dot and add modes (`claude-4.5-sonnet-thinking`,
 * Anthropic's `claude-sonnet-4-5`; Claude 3 is `claude-3-5-sonnet`) and append the reasoning effort to OpenAI models
 * (`gpt-5-high` → `gpt-5`); thinking and effort are billed as ordinary output tokens at the model's prices.
 */
export function toolNameForms(name: string): string[] {
  const claude = VERSION_FIRST_CLAUDE.exec(name);
  if (claude) {
    const [, major, minor, family] = claude;
    const version = minor === undefined ? major! : `${major}-${minor}`;
    return [Number(major) >= 4 ? `claude-${family}-${version}` : `claude-${version}-${family}`];
  }
  const effort = EFFORT_SUFFIX.exec(name);
  return effort ? [effort[1]!] : [];
}
