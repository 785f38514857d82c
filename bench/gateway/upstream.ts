import { createServer } from 'node:http';

/** The benchmark's upstream: answers a chat completion (or its stream) instantly, usage included. */
const usage = {
  prompt_tokens: 120,
  completion_tokens: 40,
  total_tokens: 160,
  prompt_tokens_details: { cached_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0 },
};
const head = {
  id: 'chatcmpl-b',
  object: 'chat.completion.chunk',
  created: 1_760_000_000,
  model: 'gpt-4o-mini',
};
const JSON_BODY = JSON.stringify({
  ...head,
  object: 'chat.completion',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello there, how can I help?' },
      finish_reason: 'stop',
    },
  ],
  usage,
});
const chunk = (delta: object, u: unknown) =>
  `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: null }], usage: u })}\n\n`;

export function startUpstream(port: number): Promise<() => void> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      if (!body.includes('"stream":true')) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(JSON_BODY),
        });
        return void res.end(JSON_BODY);
      }
      const withUsage = body.includes('include_usage');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const w of ['Hello', ' there', ',', ' how', ' can', ' I', ' help', '?'])
        res.write(chunk({ content: w }, withUsage ? null : undefined));
      if (withUsage) res.write(`data: ${JSON.stringify({ ...head, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(() => server.close())));
}
