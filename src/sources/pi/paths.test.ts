import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPiFiles, piAgentDir, piSessionsDir } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/pi');
const AGENT = join(FIXTURES, 'agent');
const SESSIONS = [
  '--home-ana-shop--/2026-01-10T09-00-00-000Z_5b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e.jsonl',
  '--home-ana-shop-v2--/2026-01-11T10-00-00-000Z_8e7f6a5b-1c2d-4e3f-9a0b-c1d2e3f4a5b6.jsonl',
  '--tmp-scratch--/2025-11-20T08-00-00-000Z_0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d.jsonl',
];

describe('pi paths', () => {
  // pi's own override: packages/coding-agent/src/config.ts getAgentDir() reads $PI_CODING_AGENT_DIR, `~` expanded.
  it('resolves $PI_CODING_AGENT_DIR, else ~/.pi/agent, and keeps sessions in its sessions folder', () => {
    expect(piAgentDir({}, '/home/ana')).toBe('/home/ana/.pi/agent');
    expect(piAgentDir({ PI_CODING_AGENT_DIR: '/srv/pi' }, '/home/ana')).toBe('/srv/pi');
    expect(piAgentDir({ PI_CODING_AGENT_DIR: '~/work/pi' }, '/home/ana')).toBe('/home/ana/work/pi');
    expect(piAgentDir({ PI_CODING_AGENT_DIR: '~' }, '/home/ana')).toBe('/home/ana');
    expect(piAgentDir({ PI_CODING_AGENT_DIR: '  ' }, '/home/ana')).toBe('/home/ana/.pi/agent');
    expect(piSessionsDir({}, '/home/ana')).toBe('/home/ana/.pi/agent/sessions');
  });

  it('finds every session below the default sessions folder', async () => {
    const d = await findPiFiles({ env: { PI_CODING_AGENT_DIR: AGENT }, home: '/nowhere' });
    expect(d.roots).toEqual([join(AGENT, 'sessions')]);
    expect(d.missing).toEqual([]);
    expect(d.files.map((f) => f.slice(AGENT.length + '/sessions/'.length))).toEqual(SESSIONS);
  });

  it('takes an agent folder, a sessions folder, one project folder or a file, given by hand', async () => {
    const rel = (files: string[]) => files.map((f) => f.slice(join(AGENT, 'sessions').length + 1));
    const agent = await findPiFiles({ env: {}, home: '/nowhere', dirs: [AGENT] });
    expect(rel(agent.files)).toEqual(SESSIONS); // not settings.json or anything else of the agent folder
    const sessions = await findPiFiles({ env: {}, home: '/nowhere', dirs: [join(AGENT, 'sessions')] });
    expect(rel(sessions.files)).toEqual(SESSIONS);
    const project = await findPiFiles({
      env: {},
      home: '/nowhere',
      dirs: [join(AGENT, 'sessions/--tmp-scratch--')],
    });
    expect(rel(project.files)).toEqual([SESSIONS[2]]);
    const file = join(AGENT, 'sessions', SESSIONS[0]!);
    expect((await findPiFiles({ env: {}, home: '/nowhere', dirs: [file] })).files).toEqual([file]);
  });

  it('reports a missing ~/.pi/agent/sessions and finds nothing in an empty folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-pi-'));
    expect(await findPiFiles({ env: {}, home })).toEqual({
      roots: [join(home, '.pi/agent/sessions')],
      files: [],
      missing: [join(home, '.pi/agent/sessions')],
      unreadable: [],
    });
    const empty = await findPiFiles({ env: {}, home, dirs: [join(FIXTURES, 'empty')] });
    expect(empty).toMatchObject({ files: [], missing: [] });
  });
});
