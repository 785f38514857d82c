import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken } from '../../../http/bearer.js';
import type { Operation, Provider, ResponseFacts, StreamMeter } from '../provider.js';
import { openAiFileTokens, openAiFileTokensEstimate } from './file-tokens.js';
import { OpenAiImageStreamMeter } from './image-stream-meter.js';
import { openAiImageTokens, openAiImageTokensEstimate } from './image-tokens.js';
import { openAiImageFacts } from './image-usage.js';
import { openAiInputText, openAiInputTokenIds, plainOpenAi, prepareOpenAi } from './request.js';
import { OpenAiStreamMeter } from './stream-meter.js';
import { openAiFacts } from './usage.js';

/** OpenAI and every OpenAI-compatible server (vLLM, Ollama, OpenRouter, Together, Azure OpenAI's v1 API). */
export const openAiProvider: Provider = {
  type: 'openai',
  keyHeaders: ['authorization', 'api-key'],
  callerKey(headers: IncomingHttpHeaders): string | null {
    const bearer = bearerToken(headers.authorization);
    if (bearer !== null) return bearer || null;
    const azure = headers['api-key'];
    return typeof azure === 'string' && azure !== '' ? azure : null;
  },
  authHeaders(key: string): Record<string, string> {
    return { authorization: `Bearer ${key}` };
  },
  prepare: (op, raw, json, askUsage) => (askUsage ? prepareOpenAi(op, raw, json) : plainOpenAi(raw, json)),
  usageOptionRefused: (status, body) => status === 400 && body.includes('stream_options'),
  // The Images API's usage has a shape of its own (image-usage.ts), and its streams' events are images.
  readJson(op: Operation, json: unknown): ResponseFacts {
    return op === 'image' ? openAiImageFacts(json) : openAiFacts(json);
  },
  streamMeter(op: Operation, injectedUsage: boolean): StreamMeter {
    return op === 'image' ? new OpenAiImageStreamMeter() : new OpenAiStreamMeter(injectedUsage);
  },
  inputText: openAiInputText,
  inputTokenIds: openAiInputTokenIds,
  inputImageTokens: (json, model) => openAiImageTokens(json, model) + openAiFileTokens(json, model),
  estimatedImageTokens: (json, model) =>
    openAiImageTokensEstimate(json, model) + openAiFileTokensEstimate(json),
};
