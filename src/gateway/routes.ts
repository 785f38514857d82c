import { anthropicProvider } from './providers/anthropic/anthropic.js';
import { openAiProvider } from './providers/openai/openai.js';
import type { Operation, Provider } from './providers/provider.js';

export interface GatewayRoute {
  provider: Provider;
  operation: Operation;
  /** count_tokens is free and carries no usage: proxied, not recorded. */
  metered: boolean;
}

/** The APIs the gateway proxies (all POST), by path under /v1. */
export const GATEWAY_ROUTES: ReadonlyMap<string, GatewayRoute> = new Map([
  ['/v1/chat/completions', { provider: openAiProvider, operation: 'chat', metered: true }],
  ['/v1/responses', { provider: openAiProvider, operation: 'responses', metered: true }],
  ['/v1/completions', { provider: openAiProvider, operation: 'completions', metered: true }],
  ['/v1/embeddings', { provider: openAiProvider, operation: 'embeddings', metered: true }],
  ['/v1/messages', { provider: anthropicProvider, operation: 'messages', metered: true }],
  ['/v1/messages/count_tokens', { provider: anthropicProvider, operation: 'count_tokens', metered: false }],
]);
