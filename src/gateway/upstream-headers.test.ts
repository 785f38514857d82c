import { describe, expect, it } from 'vitest';
import { clientHeaderList, clientHeaders, servedTierHeader } from './upstream-headers.js';

describe('clientHeaderList', () => {
  const upstream = {
    'content-type': 'application/json',
    'content-length': '99',
    connection: 'keep-alive',
    'x-ratelimit-remaining-requests': '7',
    'set-cookie': ['a=1', 'b=2'],
  };

  it("drops hop-by-hop headers and lets the gateway's own replace the upstream's", () => {
    const list = clientHeaderList(upstream, ['content-length', '12'], {
      'x-ratelimit-remaining-requests': '41',
    });
    expect(list).toEqual([
      'content-type',
      'application/json',
      'set-cookie',
      ['a=1', 'b=2'],
      'content-length',
      '12',
      'x-ratelimit-remaining-requests',
      '41',
    ]);
  });

  it("drops the x-tokenledger-* headers of an upstream that is itself a tokenledger gateway: they are its ledger's", () => {
    const inner = {
      'content-type': 'text/event-stream',
      'x-tokenledger-event-id': 'inner-id',
      'x-tokenledger-cost-usd': '9.990000000000',
      'x-tokenledger-downgraded': 'gpt-4o -> gpt-4o-mini; budget=b1',
    };
    expect(clientHeaderList(inner, ['x-tokenledger-event-id', 'outer-id'], undefined)).toEqual([
      'content-type',
      'text/event-stream',
      'x-tokenledger-event-id',
      'outer-id',
    ]);
    expect(clientHeaders(inner, {})).toEqual({ 'content-type': 'text/event-stream' });
  });

  it('drops the headers the upstream named in Connection, which are hop-by-hop too (RFC 9110 §7.6.1)', () => {
    const named = {
      'content-type': 'application/json',
      connection: 'keep-alive, X-Hop',
      'x-hop': '1',
      'x-end': '2',
    };
    expect(clientHeaderList(named, [], undefined)).toEqual([
      'content-type',
      'application/json',
      'x-end',
      '2',
    ]);
    expect(clientHeaders(named, {})).toEqual({ 'content-type': 'application/json', 'x-end': '2' });
  });

  it('refuses a budget header value that could split the response (a model name from the request)', () => {
    expect(() =>
      clientHeaderList(upstream, [], { 'x-tokenledger-downgraded': 'a\r\nx-evil: 1 -> b; budget=x' }),
    ).toThrow(/Invalid character/);
  });
});

describe('servedTierHeader', () => {
  // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html — the served tier
  // (priority | default | flex | reserved) comes back in X-Amzn-Bedrock-Service-Tier; Node lower-cases header names.
  it("reads Bedrock's and Gemini's served-tier headers, and nothing else", () => {
    expect(servedTierHeader({ 'x-amzn-bedrock-service-tier': 'flex' })).toBe('flex');
    expect(servedTierHeader({ 'x-gemini-service-tier': 'standard' })).toBe('standard');
    expect(servedTierHeader({ 'x-gemini-service-tier': '' })).toBeNull();
    expect(servedTierHeader({ 'openai-processing-ms': '12' })).toBeNull();
  });
});
