import { describe, expect, it } from 'vitest';
import { eventId, idHalf, isLedgerId } from './event-id.js';

describe('ledger ids', () => {
  it('are the first 64 bits of SHA-256 over the source and parts, as every ledger already holds them', () => {
    // Pinned (sha256sum of the joined text): a re-import must find the ids earlier versions stored.
    expect(eventId('claude-code', 'msg_01', 'req_01')).toBe('823643d2d7e247f2'); // "claude-code|msg_01|req_01"
    expect(eventId('src', 'a|b', null, '\\x', 42)).toBe('02d702ff68e013b8'); // "src|a\\|b|\\0|\\\\x|42"
    expect(eventId('src', 'a|b', 'c')).not.toBe(eventId('src', 'a', 'b|c'));
  });

  it('reads the two 32-bit halves of a 16-hex-digit id', () => {
    expect(idHalf('00000001ffffffff', 0)).toBe(1);
    expect(idHalf('00000001ffffffff', 8)).toBe(0xffffffff);
    expect(idHalf('0123456789abcdef', 0)).toBe(0x01234567);
    expect(idHalf('0123456789abcdef', 8)).toBe(0x89abcdef);
    const id = eventId('demo', 'x');
    expect(idHalf(id, 0)).toBe(Number.parseInt(id.slice(0, 8), 16));
    expect(idHalf(id, 8)).toBe(Number.parseInt(id.slice(8), 16));
  });

  it('refuses anything but 16 lowercase hex digits', () => {
    expect(isLedgerId('0123456789abcdef')).toBe(true);
    for (const bad of [
      '0123456789ABCDEF',
      '0123456789abcde',
      '0123456789abcdef0',
      '0123456789abcdeg',
      '',
      'g123456789abcdef',
    ])
      expect(isLedgerId(bad), bad).toBe(false);
    expect(idHalf('0123456789abcdeg', 0)).toBe(0x01234567);
    expect(idHalf('0123456789abcdeg', 8)).toBe(-1);
  });
});
