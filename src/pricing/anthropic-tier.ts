/**
 * The tier an Anthropic call was billed in. Fast mode is reported beside `service_tier`, as `usage.speed: "fast"`
 * (the speed the call actually ran at), and is priced per model (data/service-tiers.json, `anthropic.fast`). It is
 * offered with neither batch nor priority, so recording it as the service tier `fast` loses nothing.
 */
export function anthropicServiceTier(serviceTier: string | null, speed: unknown): string | null {
  return typeof speed === 'string' && speed.trim().toLowerCase() === 'fast' ? 'fast' : serviceTier;
}

/**
 * The geography an Anthropic call ran in when it costs extra (`usage.inference_geo`; `us` is billed at 1.1×,
 * data/service-tiers.json `anthropic.inference_geo:us`), for the event's `inference_geo` tag; null for the default
 * (`global`) and for Claude Code's `not_available` (a model that takes no geography), which cost nothing extra.
 */
export function anthropicGeo(geo: unknown): string | null {
  if (typeof geo !== 'string') return null;
  const g = geo.trim().toLowerCase();
  return g === '' || g === 'global' || g === 'not_available' ? null : g;
}
