/**
 * The tier an Anthropic call was billed in. Fast mode is reported beside `service_tier`, as `usage.speed: "fast"`
 * (the speed the call actually ran at), and is priced per model (data/service-tiers.json, `anthropic.fast`). It is
 * offered with neither batch nor priority, so recording it as the service tier `fast` loses nothing.
 */
export function anthropicServiceTier(serviceTier: string | null, speed: unknown): string | null {
  return typeof speed === 'string' && speed.trim().toLowerCase() === 'fast' ? 'fast' : serviceTier;
}
