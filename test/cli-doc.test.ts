import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { docsPages, docsText } from './helpers/docs-text.js';

// Every command of the CLI has its row in docs/cli.md, and every option a user can pass is written somewhere in the
// docs, so `--help` is never the only place a flag is found (the error catalog is kept the same way:
// test/errors-doc.test.ts).
const cliDoc = readFileSync('docs/cli.md', 'utf8');
const allDocs = `${readFileSync('README.md', 'utf8')}\n${docsText()}`;
// One line of the docs each, a shell line continued with `\` joined to the next.
const docLines = allDocs.replace(/\\\n/g, ' ').split('\n');

interface Listed {
  path: string[];
  options: string[];
}

function commands(c: Command, path: string[] = []): Listed[] {
  return c.commands.flatMap((s) => {
    const p = [...path, s.name()];
    const options = s.options.map((o) => o.long).filter((o): o is string => o !== undefined);
    return [{ path: p, options }, ...commands(s, p)];
  });
}

/** The row of docs/cli.md's command table that starts with `tokenledger NAME`. */
function row(name: string): string | undefined {
  return cliDoc.split('\n').find((l) => l.startsWith(`| \`tokenledger ${name}`));
}

describe('docs/cli.md and the CLI', () => {
  const listed = commands(buildProgram());

  it('finds the commands it checks', () => {
    expect(listed.length).toBeGreaterThan(20);
  });

  it.each(listed.map((c) => [c.path.join(' '), c] as const))('documents %s', (_, c) => {
    const [top, sub] = c.path;
    const line = row(top!);
    expect(line, `docs/cli.md has no row for tokenledger ${top}`).toBeDefined();
    // A subcommand is named in its parent's row (`keys create|list|revoke`) or has a row of its own.
    if (sub !== undefined)
      expect(row(`${top} ${sub}`) ?? line!.match(new RegExp(`\\b${sub}\\b`))).toBeTruthy();
    const undocumented = c.options.filter((o) => !allDocs.includes(o));
    expect(undocumented, `options of ${c.path.join(' ')} no doc mentions`).toEqual([]);
  });

  // Written somewhere is not enough: `--until` in report's row said nothing of whether `runaways` takes it. An option
  // is documented for its command on a line that names the command (`tokenledger runaways …`, or a subcommand as
  // `keys list [--all]`); --db and --prices, which every command takes, are documented once for all.
  it.each(listed.map((c) => [c.path.join(' '), c] as const))(
    'documents the options of %s where it names it',
    (_, c) => {
      const [top, sub] = c.path;
      const names = [
        `tokenledger ${top}`,
        ...(sub === undefined ? [] : [`\`${top} ${sub}`, `\`${sub} `, `${sub} [`]),
      ];
      const lines = docLines.filter((l) => names.some((n) => l.includes(n)));
      const unwritten = c.options.filter(
        (o) => o !== '--db' && o !== '--prices' && !lines.some((l) => new RegExp(`${o}(?![a-z-])`).test(l)),
      );
      expect(unwritten, `options of ${c.path.join(' ')} no line naming the command mentions`).toEqual([]);
    },
  );

  // The other way round: an option a page writes after a command (`report --tz`, `keys list [--all]`, a line of a
  // shell example) is one that command takes, so no page sends a user to a flag that fails as an unknown option.
  it('writes after each command only the options it takes', () => {
    const takes = new Map(listed.map((c) => [c.path.join(' '), new Set([...c.options, '--help'])]));
    const spans: { text: string; where: string }[] = [];
    const pages: [string, string][] = [['README.md', readFileSync('README.md', 'utf8')], ...docsPages()];
    for (const [page, text] of pages) {
      // Code blocks line by line (a shell line continued with `\` joined to the next), elsewhere each `code span`.
      let block = false;
      let carried = '';
      text.split('\n').forEach((l, i) => {
        const where = `${page}:${i + 1}`;
        if (l.trim().startsWith('```')) block = !block;
        else if (block && l.endsWith('\\')) carried += `${l.slice(0, -1)} `;
        else if (block) {
          spans.push({ text: carried + l, where });
          carried = '';
        } else for (const m of l.matchAll(/`([^`]+)`/g)) spans.push({ text: m[1]!, where });
      });
    }
    const wrong: string[] = [];
    for (const { text, where } of spans) {
      const m = /^(?:npx )?(?:tokenledger )?([a-z-]+)(?: ([a-z-]+))?(.*)$/.exec(text.trim());
      if (m === null) continue;
      const sub = takes.has(`${m[1]} ${m[2]}`);
      const options = takes.get(sub ? `${m[1]} ${m[2]}` : m[1]!);
      if (options === undefined) continue;
      const rest = sub ? m[3]! : `${m[2] ?? ''}${m[3]}`;
      for (const [o] of rest.matchAll(/(?<![\w-])--[a-z][a-z-]*/g))
        if (!options.has(o)) wrong.push(`${where}: ${text.trim()} (${o})`);
    }
    expect(wrong, 'options the docs write that their command does not take').toEqual([]);
  });
});
