/**
 * genai-prices' model match rules (equals, starts_with, ends_with, contains, regex, and, or), compiled once to plain
 * predicates. Semantics follow the package exactly (dist/index.js `f`): string tests are case-insensitive; a regex
 * is tested as written against the name, which the resolver has already lower-cased.
 */
export type MatchRule =
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string }
  | { and: MatchRule[] }
  | { or: MatchRule[] };

export type Matcher = (name: string) => boolean;

/** Compiles a rule; `name` passed to the result must already be lower-case. */
export function compileMatch(rule: MatchRule): Matcher {
  if ('or' in rule) {
    const parts = rule.or.map(compileMatch);
    return (name) => parts.some((p) => p(name));
  }
  if ('and' in rule) {
    const parts = rule.and.map(compileMatch);
    return (name) => parts.every((p) => p(name));
  }
  if ('equals' in rule) {
    const v = rule.equals.toLowerCase();
    return (name) => name === v;
  }
  if ('starts_with' in rule) {
    const v = rule.starts_with.toLowerCase();
    return (name) => name.startsWith(v);
  }
  if ('ends_with' in rule) {
    const v = rule.ends_with.toLowerCase();
    return (name) => name.endsWith(v);
  }
  if ('contains' in rule) {
    const v = rule.contains.toLowerCase();
    return (name) => name.includes(v);
  }
  if ('regex' in rule) {
    const re = new RegExp(rule.regex);
    return (name) => re.test(name);
  }
  return () => false;
}

/** A short human form of a rule for `prices show`, e.g. `starts_with "claude-sonnet-4-5" | equals "x"`. */
export function formatRule(rule: MatchRule): string {
  if ('or' in rule) return rule.or.map(formatRule).join(' | ');
  if ('and' in rule) return `(${rule.and.map(formatRule).join(' & ')})`;
  const [kind, value] = Object.entries(rule)[0] as [string, string];
  return `${kind} ${JSON.stringify(value)}`;
}
