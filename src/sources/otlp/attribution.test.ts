import { describe, expect, it } from 'vitest';
import { attributeMap, attributionOf } from './attribution.js';

describe('attributionOf', () => {
  it('reads resource attributes, lets record attributes win, and puts configured keys first', () => {
    const map = attributeMap({ team: 'cost.team', 'tags.cost_center': 'cost.center' });
    const resource = new Map<string, string>([
      ['team.id', 'payments'],
      ['cost.team', 'billing'],
      ['user.email', 'ana@example.com'],
      ['deployment.environment', 'prod'],
      ['cost.center', 'cc-42'],
    ]);
    const a = attributionOf(new Map([['user.email', 'bo@example.com']]), resource, map);
    expect(a).toMatchObject({ team: 'billing', user: 'bo@example.com', environment: 'prod' });
    expect(a.tags).toEqual({ cost_center: 'cc-42' });
    expect(attributionOf(new Map(), resource, attributeMap({})).team).toBe('payments');
  });

  it("takes the environment from Codex's `env` resource attribute (config.toml `[otel] environment`)", () => {
    const resource = new Map([
      ['service.name', 'codex_cli_rs'],
      ['env', 'prod'],
    ]);
    expect(attributionOf(new Map(), resource, attributeMap({})).environment).toBe('prod');
  });

  // Claude Code sends on every record user.id, an anonymous identifier of the installation (always), beside
  // user.account_uuid (the signed-in account) and, with OAuth only, user.email (code.claude.com/docs/en/monitoring-usage,
  // Standard attributes). The same person on two machines is one account: the account, not the install, is the user.
  it("attributes a signed-in Claude Code session without an email to its account, not to the installation's id", () => {
    const record = new Map([
      ['user.id', 'a3f0c9d1e2b4a5c6d7e8f90112233445566778899aabbccddeeff00112233445'],
      ['user.account_uuid', '7c1e2f0a-4b5d-4e6f-8a9b-0c1d2e3f4a5b'],
      ['user.account_id', 'user_01BWBeN28Hz'],
      ['session.id', 's-1'],
    ]);
    expect(attributionOf(record, new Map(), attributeMap({})).user).toBe(
      '7c1e2f0a-4b5d-4e6f-8a9b-0c1d2e3f4a5b',
    );
    record.set('user.email', 'ana@example.com');
    expect(attributionOf(record, new Map(), attributeMap({})).user).toBe('ana@example.com');
    // An app's own user.id (semantic conventions) is still its user.
    expect(attributionOf(new Map([['user.id', 'u-42']]), new Map(), attributeMap({})).user).toBe('u-42');
  });

  // A company attributes Claude Code through OTEL_RESOURCE_ATTRIBUTES (its managed settings' env block), while every
  // record carries the installation's anonymous user.id: the keys are read in the map's order, each on the record
  // and then on the resource, so a configured key, or user.email, on the resource is not lost to a later key.
  it('takes a configured key or an earlier default from the resource over a later key on the record', () => {
    const record = new Map([
      ['user.id', 'a3f0c9d1e2b4a5c6d7e8f90112233445566778899aabbccddeeff00112233445'],
      ['session.id', 's-1'],
      ['team', 'record-team'],
    ]);
    const resource = new Map([
      ['employee.id', 'E-1234'],
      ['user.email', 'ana@example.com'],
      ['cost.team', 'billing'],
    ]);
    expect(attributionOf(record, resource, attributeMap({}))).toMatchObject({
      user: 'ana@example.com',
      team: 'record-team',
    });
    expect(
      attributionOf(record, resource, attributeMap({ user: 'employee.id', team: 'cost.team' })),
    ).toMatchObject({ user: 'E-1234', team: 'billing', session_id: 's-1' });
    const tags = attributeMap({ 'tags.cost_center': ['cost.center', 'cc'] });
    expect(
      attributionOf(new Map([['cc', 'record-cc']]), new Map([['cost.center', 'cc-42']]), tags).tags,
    ).toMatchObject({ cost_center: 'cc-42' });
  });

  it("shares the resource's tags among the records that set none, and gives a record with one of its own a copy in the map's order", () => {
    const map = attributeMap({});
    const resource = new Map([
      ['service.name', 'checkout'],
      ['department', 'finance'],
    ]);
    const a = attributionOf(new Map([['gen_ai.conversation.id', 'c1']]), resource, map);
    const b = attributionOf(new Map(), resource, map);
    expect(a.tags).toEqual({ department: 'finance', service: 'checkout' });
    expect(b.tags).toBe(a.tags);
    expect(Object.isFrozen(a.tags)).toBe(true);
    const own = attributionOf(new Map([['department', 'legal']]), resource, map);
    expect(JSON.stringify(own.tags)).toBe('{"department":"legal","service":"checkout"}');
    expect(a.tags).toEqual({ department: 'finance', service: 'checkout' });
    // Another resource, its own tags.
    expect(attributionOf(new Map(), new Map([['service.name', 'search']]), map).tags).toEqual({
      service: 'search',
    });
  });
});
