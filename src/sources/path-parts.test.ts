import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandHome, lastSegment } from './path-parts.js';

describe('lastSegment', () => {
  it('is the last folder of a path written with either separator, trailing ones ignored', () => {
    expect(['/home/ana/shop', '/home/ana/shop/', 'C:\\Users\\ana\\shop', 'shop'].map(lastSegment)).toEqual([
      'shop',
      'shop',
      'shop',
      'shop',
    ]);
    expect(['/', '', '\\'].map(lastSegment)).toEqual([null, null, null]);
  });
});

describe('expandHome', () => {
  it('reads a leading ~ as the home folder, and resolves everything else as given', () => {
    expect(expandHome('~', '/home/ana')).toBe(resolve('/home/ana'));
    expect(expandHome('~/.pi/agent', '/home/ana')).toBe(resolve(join('/home/ana', '.pi/agent')));
    expect(expandHome('/opt/qwen', '/home/ana')).toBe(resolve('/opt/qwen'));
    // Only a whole leading segment: `~bob` is a folder of that name.
    expect(expandHome('~bob/x', '/home/ana')).toBe(resolve('~bob/x'));
  });
});
