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
});
