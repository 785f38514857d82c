import { describe, expect, it } from 'vitest';
import { makeEvent } from '../store/testing/event-factory.js';
import { GatewayMetrics, MAX_LABEL_SETS } from './metrics.js';

const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

describe('gateway metrics', () => {
  it('keep a bounded number of label sets: callers naming endless models or teams fold into "(other)"', () => {
    const m = new GatewayMetrics();
    const calls = MAX_LABEL_SETS + 250;
    for (let i = 0; i < calls; i++)
      m.recordEvent(makeEvent(i, { provider: 'openai', model: `made-up-${i}`, team: `t${i}`, status: 'ok' }));
    const requests = series(m.render(0), 'tokenledger_gateway_requests_total');
    expect(requests).toHaveLength(MAX_LABEL_SETS + 1);
    expect(requests.at(-1)).toBe(
      'tokenledger_gateway_requests_total{provider="(other)",model="(other)",team="(other)",status="ok"} 250',
    );
    // Nothing is lost: the calls add up.
    expect(requests.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBe(calls);
    // A label set seen before the cap keeps its own series.
    m.recordEvent(makeEvent(0, { provider: 'openai', model: 'made-up-0', team: 't0', status: 'ok' }));
    expect(series(m.render(0), 'tokenledger_gateway_requests_total')[0]).toMatch(/model="made-up-0".* 2$/);
  });
});
