import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TokenledgerError } from '../errors.js';
import { readYamlLines } from '../yaml-lines.js';
import { problemOf } from '../zod-problem.js';

/**
 * Who is who: the git author emails and the ledger users of one person. Git knows a person by the email of each
 * machine they commit from; the ledger by what their key, their agent's telemetry or a header said (often the same
 * work email, sometimes a login). Without a file, an email and a ledger user that are equal (case aside) are one
 * person, and everyone else is themselves.
 */
export interface Identities {
  /** The person an author email belongs to. */
  personOfEmail(email: string): string;
  /** The person a ledger user value belongs to. */
  personOfUser(user: string): string;
  /** People the file names: their spend counts even where git shows no work of theirs (docs/roi.md). */
  named: ReadonlySet<string>;
}

const personSchema = z.strictObject({
  emails: z.array(z.string().min(1)).optional(),
  users: z.array(z.string().min(1)).optional(),
});
const fileSchema = z.record(z.string().min(1), personSchema);

/** Where nobody is mapped: each email and ledger user stands for itself, equal ones (case aside) being one person. */
export const SAME_NAMES: Identities = {
  personOfEmail: (email) => email.toLowerCase(),
  personOfUser: (user) => user.toLowerCase(),
  named: new Set(),
};

/**
 * Reads a people file (YAML: `person: {emails: [...], users: [...]}`); `file` is the path to name in errors. A
 * person's emails are also ledger users of theirs (agents' telemetry reports the work email). An email or user claimed
 * by two people is an error: its work or spend would be counted for whichever came first.
 */
export function parseIdentities(text: string, file: string): Identities {
  const read = readYamlLines(text);
  if (!read.ok)
    throw new TokenledgerError('ROI_BAD_PEOPLE', `${file}:${read.line}: not valid YAML: ${read.message}`);
  const at = (path: readonly PropertyKey[]) => {
    const line = read.lineOf(path);
    return `${file}${line === null ? '' : `:${line}`}: ${path.map(String).join('.') || '(top level)'}`;
  };
  const result = fileSchema.safeParse(read.value, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${at(i.path)}: ${problemOf(fileSchema, i)}`);
    throw invalid(file, problems);
  }
  const byEmail = new Map<string, string>();
  const byUser = new Map<string, string>();
  const problems: string[] = [];
  const claim = (map: Map<string, string>, key: string, person: string, path: PropertyKey[]) => {
    const k = key.toLowerCase();
    const owner = map.get(k);
    if (owner !== undefined && owner !== person)
      problems.push(`${at(path)}: ${JSON.stringify(key)} is already ${JSON.stringify(owner)}'s`);
    else map.set(k, person);
  };
  for (const [person, p] of Object.entries(result.data)) {
    if ((p.emails ?? []).length + (p.users ?? []).length === 0)
      problems.push(`${at([person])}: names neither emails nor users`);
    for (const [i, e] of (p.emails ?? []).entries()) {
      claim(byEmail, e, person, [person, 'emails', i]);
      claim(byUser, e, person, [person, 'emails', i]);
    }
    for (const [i, u] of (p.users ?? []).entries()) claim(byUser, u, person, [person, 'users', i]);
  }
  if (problems.length > 0) throw invalid(file, problems);
  return {
    personOfEmail: (email) => byEmail.get(email.toLowerCase()) ?? email.toLowerCase(),
    personOfUser: (user) => byUser.get(user.toLowerCase()) ?? user.toLowerCase(),
    named: new Set(Object.keys(result.data)),
  };
}

/**
 * `ids`, and also: ledger user `user` is the person who commits as `email`. On one's own machine these are the same
 * human, known to the agent logs by the OS login (import's default user) and to git by `git config user.email`. A
 * user the people file already places keeps its place.
 */
export function withLocalUser(ids: Identities, user: string, email: string): Identities {
  const key = user.toLowerCase();
  if (ids.personOfUser(user) !== key || ids.named.has(key)) return ids;
  const person = ids.personOfEmail(email);
  return { ...ids, personOfUser: (u) => (u.toLowerCase() === key ? person : ids.personOfUser(u)) };
}

/** Reads and parses a people file; one it cannot read is ROI_BAD_PEOPLE too, with the reason. */
export function readPeopleFile(file: string): Identities {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new TokenledgerError('ROI_BAD_PEOPLE', `${file}: cannot read the people file (${reason})`, {
      cause,
    });
  }
  return parseIdentities(text, file);
}

function invalid(file: string, problems: string[]): TokenledgerError {
  const n = problems.length;
  return new TokenledgerError(
    'ROI_BAD_PEOPLE',
    `${file} has ${n} problem${n === 1 ? '' : 's'} (format: docs/roi.md#people-file):\n  ${problems.join('\n  ')}`,
  );
}
