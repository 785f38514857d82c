import { type Attribution, emptyAttribution } from '../../ledger/event.js';
import { setOwn } from '../../ledger/own-key.js';
import { type Attrs, str } from './values.js';

/** A ledger attribution field, or `tags.NAME` for a free tag. */
type AttributionTarget = Exclude<keyof Attribution, 'tags'> | `tags.${string}`;

/** For each target, the attribute keys to read, first present wins. */
export type AttributeMap = ReadonlyMap<AttributionTarget, readonly string[]>;

/**
 * Where attribution comes from when config says nothing: the keys companies already set through
 * OTEL_RESOURCE_ATTRIBUTES (`user.email`, `team.id`, `department`, `deployment.environment`) and the ones the
 * coding agents send on every record (`session.id`, `organization.id`, `user.account_uuid`).
 */
export const DEFAULT_ATTRIBUTES: AttributeMap = new Map<AttributionTarget, readonly string[]>([
  // user.account_uuid before user.id: Claude Code sends user.id as an anonymous id of the installation on every
  // record, and the account (the person, on any machine) as user.account_uuid.
  ['user', ['user.email', 'user.account_uuid', 'user.id', 'enduser.id', 'user.account_id']],
  ['team', ['team.id', 'team', 'team.name']],
  ['org', ['organization.id', 'org.id', 'org']],
  ['project', ['project.id', 'project', 'project.name']],
  ['agent', ['gen_ai.agent.name', 'gen_ai.agent.id']],
  ['session_id', ['session.id', 'gen_ai.conversation.id', 'conversation.id']],
  ['task_id', ['task.id']],
  // `env`: what Codex makes of `[otel] environment = "prod"` in its config.toml.
  ['environment', ['deployment.environment.name', 'deployment.environment', 'env']],
  ['tags.department', ['department']],
  ['tags.service', ['service.name']],
  // Claude Code's main conversation, subagent or auxiliary call, on its api_request events and its counters alike.
  ['tags.query_source', ['query_source']],
]);

/**
 * The attribute map in force: each configured target's keys come first, then the defaults for it, so
 * `otlp.attributes: {team: "cost.team"}` adds a key without losing the standard ones.
 */
export function attributeMap(configured: Readonly<Record<string, string | readonly string[]>>): AttributeMap {
  const m = new Map(DEFAULT_ATTRIBUTES);
  for (const [target, keys] of Object.entries(configured)) {
    const given = typeof keys === 'string' ? [keys] : [...keys];
    const t = target as AttributionTarget;
    m.set(t, [...given, ...(m.get(t) ?? []).filter((k) => !given.includes(k))]);
  }
  return m;
}

/**
 * Each target's value: its keys in the map's order (configured ones first), each read on the record and then on the
 * resource, so for one key the record's wins, while a key the resource has is not lost to a later key on the record
 * (Claude Code's anonymous user.id on every record against the user.email or configured key a company sets through
 * OTEL_RESOURCE_ATTRIBUTES).
 */
export function attributionOf(record: Attrs, resource: Attrs, map: AttributeMap): Attribution {
  const p = planOf(map);
  const fallback = resourceValues(resource, p);
  const a = emptyAttribution();
  let ownTags = false;
  for (let i = 0; i < p.keys.length; i++) {
    const v = record.size > 0 ? firstUpTo(record, p.keys[i]!, fallback.at[i]!) : null;
    if (p.tags[i] !== null) ownTags ||= v !== null;
    else {
      const value = v ?? fallback.values[i]!;
      if (value !== null) a[p.fields[i]!] = value;
    }
  }
  // The tags of a record that sets none of its own are its resource's, one object for all of them, never changed
  // after: an export's spans then share it, and the log and the store write it out once a batch, not once a span.
  a.tags = ownTags ? tagsOf(p, fallback, record) : fallback.tags;
  return a;
}

/** The first of `keys[0..last]` the attributes hold, or null. */
function firstUpTo(a: Attrs, keys: readonly string[], last: number): string | null {
  for (let k = 0; k <= last && k < keys.length; k++) {
    const v = str(a, keys[k]!);
    if (v !== null) return v;
  }
  return null;
}

/** The tags, in the map's order, each as attributionOf reads a target. */
function tagsOf(
  p: Plan,
  resource: Pick<ResourceValues, 'values' | 'at'>,
  record: Attrs | null,
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 0; i < p.keys.length; i++) {
    const tag = p.tags[i];
    if (tag === null) continue;
    const v =
      (record === null ? null : firstUpTo(record, p.keys[i]!, resource.at[i]!)) ?? resource.values[i]!;
    if (v !== null) setOwn(tags, tag!, v);
  }
  return tags;
}

/** An attribute map unrolled into arrays once, so each record walks no map entries and slices no strings. */
interface Plan {
  keys: (readonly string[])[];
  fields: Exclude<keyof Attribution, 'tags'>[];
  tags: (string | null)[];
}

const plans = new WeakMap<AttributeMap, Plan>();

function planOf(map: AttributeMap): Plan {
  let p = plans.get(map);
  if (p === undefined) {
    p = { keys: [], fields: [], tags: [] };
    for (const [target, keys] of map) {
      p.keys.push(keys);
      p.fields.push(target as Exclude<keyof Attribution, 'tags'>);
      p.tags.push(target.startsWith('tags.') ? target.slice(5) : null);
    }
    plans.set(map, p);
  }
  return p;
}

/**
 * Each target's value from the resource alone, and the tags those make. Every span or record of a resource shares
 * its Attrs object, so this is worked out once per resource in a request instead of once per record.
 */
interface ResourceValues {
  plan: Plan;
  values: (string | null)[];
  /** Per target, the index of the key that gave its value (the keys' count when none did). */
  at: number[];
  tags: Readonly<Record<string, string>>;
}
const byResource = new WeakMap<Attrs, ResourceValues>();

function resourceValues(resource: Attrs, plan: Plan): ResourceValues {
  const hit = byResource.get(resource);
  if (hit !== undefined && hit.plan === plan) return hit;
  const at = plan.keys.map((keys) => {
    const k = keys.findIndex((key) => str(resource, key) !== null);
    return k === -1 ? keys.length : k;
  });
  const values = plan.keys.map((keys, i) => (at[i]! < keys.length ? str(resource, keys[at[i]!]!) : null));
  const r = { plan, values, at, tags: Object.freeze(tagsOf(plan, { values, at }, null)) };
  byResource.set(resource, r);
  return r;
}
