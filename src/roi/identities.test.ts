import { describe, expect, it } from 'vitest';
import { parseIdentities, SAME_NAMES, withLocalUser } from './identities.js';

describe('who is who', () => {
  it('without a file, an email and a ledger user that are equal but for case are one person', () => {
    expect(SAME_NAMES.personOfEmail('Ana@Acme.com')).toBe(SAME_NAMES.personOfUser('ana@acme.COM'));
    expect(SAME_NAMES.personOfUser('ana')).not.toBe(SAME_NAMES.personOfEmail('ana@acme.com'));
  });

  it('a people file joins the emails git knows and the users the ledger knows', () => {
    const ids = parseIdentities(
      ['ana:', '  emails: [ana@acme.com, 123+ana@users.noreply.github.com]', '  users: [alopez]'].join('\n'),
      'people.yaml',
    );
    expect(ids.personOfEmail('123+ANA@users.noreply.github.com')).toBe('ana');
    expect(ids.personOfUser('alopez')).toBe('ana');
    // Agents' telemetry reports the work email as the user: an email is a user of the same person.
    expect(ids.personOfUser('ana@acme.com')).toBe('ana');
    expect(ids.personOfEmail('bo@acme.com')).toBe('bo@acme.com');
    expect([...ids.named]).toEqual(['ana']);
  });

  it("joins this machine's login to the email its repository commits with, unless the file places the login", () => {
    const mine = withLocalUser(SAME_NAMES, 'ana', 'Ana@Acme.com');
    expect(mine.personOfUser('ANA')).toBe('ana@acme.com');
    expect(mine.personOfUser('bo')).toBe('bo');
    const placed = parseIdentities('ana:\n  users: [ana]\n', 'people.yaml');
    expect(withLocalUser(placed, 'ana', 'someone@else.com').personOfUser('ana')).toBe('ana');
  });

  it('an email claimed by two people is refused with where each claim is', () => {
    const text = ['ana:', '  emails: [dev@acme.com]', 'bo:', '  users: [DEV@acme.com]'].join('\n');
    expect(() => parseIdentities(text, 'people.yaml')).toThrowError(
      expect.objectContaining({
        code: 'ROI_BAD_PEOPLE',
        message: expect.stringContaining('people.yaml:4: bo.users.0: "DEV@acme.com" is already "ana"\'s'),
      }),
    );
  });

  it('says which key is wrong and on which line', () => {
    const text = ['ana:', '  email: [ana@acme.com]', 'bo: {}'].join('\n');
    let message = '';
    try {
      parseIdentities(text, 'people.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('people.yaml has 1 problem');
    expect(message).toContain('people.yaml:2: ana: unknown key "email"; allowed here: emails, users');
    const empty = () => parseIdentities('bo: {}', 'people.yaml');
    expect(empty).toThrow('people.yaml:1: bo: names neither emails nor users');
    expect(() => parseIdentities('ana: [', 'p.yaml')).toThrow(/^p\.yaml:1: not valid YAML/);
  });
});
