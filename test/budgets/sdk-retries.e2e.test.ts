import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, serve } from './budget-harness.js';
import { type MeteredProvider, startMeteredProvider } from './metered-provider.js';

let up: MeteredProvider;
beforeAll(async () => {
  up = await startMeteredProvider();
});
afterAll(() => up.close());

// Both official SDKs retry a 429 twice by default, each time after sleeping the whole retry-after. A refusal that
// lasts for days must tell them not to, or the app hangs until the budget's window resets.
describe("gateway refusals and the official SDKs' automatic retries", () => {
  it('a full block budget and a blocked session reach an app with default retries at once, tried once', async () => {
    const d = await configDir({
      budgets: { tiny: { scope: { team: 'tiny' }, period: 'monthly', limit_usd: 0.000001, action: 'block' } },
      runaway: { loop_repeats: 2, window_minutes: 10, block: true, block_minutes: 30 },
    });
    const s = await serve(d, up);
    try {
      // Default maxRetries (2); the signal only bounds the test should a client wait out retry-after.
      const limit = { signal: AbortSignal.timeout(10_000) };
      const openai = new OpenAI({ apiKey: 'sk-caller', baseURL: `${s.url}/v1` });
      const anthropic = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: s.url });
      const tiny = { headers: { 'x-tokenledger-team': 'tiny' }, ...limit };
      const refusals = [
        await openai.chat.completions
          .create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, tiny)
          .catch((e: unknown) => e),
        await anthropic.messages
          .create(
            {
              model: 'claude-sonnet-4-20250514',
              max_tokens: 10,
              messages: [{ role: 'user', content: 'hi' }],
            },
            tiny,
          )
          .catch((e: unknown) => e),
      ];
      expect(refusals[0]).toBeInstanceOf(OpenAI.RateLimitError);
      expect(refusals[1]).toBeInstanceOf(Anthropic.RateLimitError);
      for (const err of refusals) {
        const headers = (err as { headers: Headers }).headers;
        expect(JSON.stringify((err as { error: unknown }).error)).toContain('GW_BUDGET_EXCEEDED');
        expect(Number(headers.get('retry-after'))).toBeGreaterThan(60);
        expect(headers.get('x-should-retry')).toBe('false');
      }

      const ask = (n: number) =>
        openai.chat.completions
          .create(
            {
              model: 'gpt-4o',
              max_tokens: 10,
              messages: [{ role: 'user', content: `run the tests (attempt ${n})` }],
            },
            { headers: { 'x-tokenledger-session': 'loop-1' }, ...limit },
          )
          .then(
            () => 200,
            (e: { status?: number }) => e.status ?? String(e),
          );
      const statuses: (number | string)[] = [];
      for (let n = 1; n <= 3; n++) statuses.push(await ask(n));
      expect(statuses).toEqual([200, 200, 429]);

      // Each refusal reached the gateway once: no client retried it.
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/tokenledger_gateway_errors_total\{code="GW_BUDGET_EXCEEDED"\} 2\n/);
      expect(metrics).toMatch(/tokenledger_gateway_errors_total\{code="GW_SESSION_BLOCKED"\} 1\n/);
    } finally {
      await s.close();
      await d.rm();
    }
  }, 40_000);
});
