import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copilotHome, findCopilotFiles } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/copilot');
const HOME = join(FIXTURES, 'home');
const SESSIONS = [
  '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/events.jsonl',
  '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d/events.jsonl',
  'c0ffee00-1111-4222-8333-444455556666/events.jsonl',
];

describe('copilot paths', () => {
  it('resolves $COPILOT_HOME, else ~/.copilot', () => {
    expect(copilotHome({}, '/home/ana')).toBe('/home/ana/.copilot');
    expect(copilotHome({ COPILOT_HOME: '/data/copilot' }, '/home/ana')).toBe('/data/copilot');
    expect(copilotHome({ COPILOT_HOME: '  ' }, '/home/ana')).toBe('/home/ana/.copilot');
  });

  it("finds every session's events.jsonl under session-state, and nothing else there", async () => {
    const d = await findCopilotFiles({ env: { COPILOT_HOME: HOME }, home: '/nowhere' });
    expect(d.missing).toEqual([]);
    expect(d.files).toEqual(SESSIONS.map((s) => join(HOME, 'session-state', s)));
  });

  it('takes a session-state folder or one session folder given by hand', async () => {
    const state = join(HOME, 'session-state');
    expect((await findCopilotFiles({ env: {}, home: '/nowhere', dirs: [state] })).files).toHaveLength(3);
    const one = join(state, SESSIONS[0]!.split('/')[0]!);
    expect((await findCopilotFiles({ env: {}, home: '/nowhere', dirs: [one] })).files).toEqual([
      join(one, 'events.jsonl'),
    ]);
  });

  it('reports a missing ~/.copilot and finds nothing in an empty folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-copilot-'));
    expect(await findCopilotFiles({ env: {}, home })).toEqual({
      roots: [join(home, '.copilot')],
      files: [],
      missing: [join(home, '.copilot')],
      unreadable: [],
    });
    expect((await findCopilotFiles({ env: {}, home, dirs: [join(FIXTURES, 'empty')] })).files).toEqual([]);
  });
});
