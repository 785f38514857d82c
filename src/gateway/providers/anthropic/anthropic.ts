import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken } from '../../../http/bearer.js';
import { anthropicGeo, anthropicServiceTier } from '../../../pricing/anthropic-tier.js';
import { obj, type Provider, promptText, type ResponseFacts, str } from '../provider.js';
import { anthropicImageTokens, anthropicImageTokensEstimate } from './image-tokens.js';
import { anthropicPdfTokens, anthropicPdfTokensEstimate } from './pdf-tokens.js';
import { AnthropicStreamMeter } from './stream-meter.js';
import { anthropicUsage } from './usage.js';

/** The Anthropic Messages API (`/v1/messages`, `/v1/messages/count_tokens`). */
export const anthropicProvider: Provider = {
  type: 'anthropic',
  keyHeaders: ['x-api-key', 'authorization'],
  callerKey(headers: IncomingHttpHeaders): string | null {
    const key = headers['x-api-key'];
    if (typeof key === 'string' && key !== '') return key;
    return bearerToken(headers.authorization) || null;
  },
  authHeaders(key: string): Record<string, string> {
    return { 'x-api-key': key };
  },
  prepare(_op, raw, json) {
    // Anthropic streams always carry usage: nothing to change.
    return { body: raw, stream: json.stream === true, injectedUsage: false };
  },
  readJson(_op, json): ResponseFacts {
    const o = obj(json);
    const usage = obj(o?.usage);
    return {
      usage: usage === null ? null : anthropicUsage(usage),
      model: str(o?.model),
      service_tier: anthropicServiceTier(str(usage?.service_tier), usage?.speed),
      inference_geo: anthropicGeo(usage?.inference_geo),
      response_id: str(o?.id),
    };
  },
  streamMeter: () => new AnthropicStreamMeter(),
  inputText: (json) => promptText(json.system, json.messages),
  // A PDF's pages are billed as text and an image each: counted with the images.
  inputImageTokens: (json, model) => anthropicImageTokens(json, model) + anthropicPdfTokens(json, model),
  estimatedImageTokens: (json, model) =>
    anthropicImageTokensEstimate(json, model) + anthropicPdfTokensEstimate(json),
};
