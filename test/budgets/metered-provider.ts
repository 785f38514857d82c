import { createServer, type Server } from 'node:http';
import { countPromptTokens as countTokens } from '../../src/budgets/prompt-tokens.js';
import { openAiInputText } from '../../src/gateway/providers/openai/request.js';
import { listenLocal } from '../helpers/listen-local.js';

/**
 * A local OpenAI chat-completions stand-in that bills like the real one: prompt tokens are the prompt's tokens plus
 * chat framing (3 per message + 3, as OpenAI documents), and the model writes `max_tokens` minus the number in a
 * `[spare N]` marker of the prompt, so calls cost a little less than their worst case, as real ones do. A prompt
 * with `[hold]` is answered only once `release()` is called: a call kept in flight for as long as a test needs.
 */
export interface MeteredProvider {
  url: string;
  /** The model of each request received. */
  models: string[];
  /** Requests waiting for `release()`. */
  held(): number;
  /** Answers the requests held so far. */
  release(): void;
  close(): Promise<void>;
}

export async function startMeteredProvider(): Promise<MeteredProvider> {
  const models: string[] = [];
  let waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      models.push(String(body.model));
      const messages = Array.isArray(body.messages) ? body.messages.length : 0;
      const text = openAiInputText(body);
      const prompt = (await countTokens(text)) + 3 * messages + 3;
      const spare = Number(/\[spare (\d+)\]/.exec(text)?.[1] ?? 0);
      const completion = Math.max(1, Number(body.max_tokens ?? 16) - spare);
      if (text.includes('[hold]')) await new Promise<void>((r) => waiting.push(r));
      const out = JSON.stringify({
        id: `chatcmpl-${models.length}`,
        object: 'chat.completion',
        created: 1_760_000_000,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  server.keepAliveTimeout = 30_000;
  return {
    ...(await listenLocal(server)),
    models,
    held: () => waiting.length,
    release: () => {
      for (const r of waiting) r();
      waiting = [];
    },
  };
}
