import { relative } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { DAY_US } from '../ledger/time.js';
import { formatUsdDisplay } from '../money/money.js';
import { BRANCH_LOOKBACK_DAYS, type SpendBehindMerges } from '../roi/branch-spend.js';
import { demoRoi } from '../roi/demo-repo.js';
import { committerEmail } from '../roi/git-history.js';
import { type Identities, readPeopleFile, SAME_NAMES, withLocalUser } from '../roi/identities.js';
import { type Roi, roiJson } from '../roi/roi.js';
import { defaultSince, roiReport } from '../roi/roi-report.js';
import type { WithinPerson } from '../roi/within-person.js';
import { type LedgerOptions, ledgerPath, nowMicros, osUser, withStore } from './context.js';
import { type FilterOptions, parseRange, parseTableOrJson, whereFilters } from './filters.js';
import { counted, groupDigits } from './group-digits.js';
import { renderTable } from './report-format.js';

export interface RoiOptions extends LedgerOptions, FilterOptions {
  repo?: string[];
  ref?: string;
  people?: string;
  format?: string;
}

/** `tokenledger roi`: each person's AI spend beside the work git shows they shipped, by usage tier. */
export async function roiCommand(o: RoiOptions, out: (s: string) => void): Promise<void> {
  const format = parseTableOrJson(o.format);
  const now = nowMicros();
  const range = parseRange(o, now);
  const until = range.until ?? now;
  // parseRange refuses bounds given both ways round; a --since alone can still lie after now.
  if (range.since !== undefined && range.since >= until)
    throw new TokenledgerError('CLI_BAD_OPTION', `--since ${JSON.stringify(o.since)} is not before now`);
  const filters = await whereFilters(o);
  const repos = o.repo !== undefined && o.repo.length > 0 ? o.repo : ['.'];
  const ids = await withThisMachine(o.people === undefined ? SAME_NAMES : readPeopleFile(o.people), repos);
  const source = { repos, ref: o.ref ?? 'HEAD', ids };
  const report = (read: readonly string[]) =>
    withStore(
      o,
      async (store) => {
        const since = range.since ?? (await defaultSince(store, until));
        return roiReport(store, { ...source, repos: read }, { since, until, filters });
      },
      { existing: true },
    );
  const roi = await report(repos).catch((e: unknown) => {
    // This folder is no repository, and the ledger is the demo's: its repositories are what there is to read.
    const demo = o.repo === undefined ? demoRoi(ledgerPath(o)) : null;
    if (demo === null || !(e instanceof TokenledgerError) || e.code !== 'ROI_BAD_REPO') throw e;
    return report(demo.repos.map((r) => relative(process.cwd(), r)));
  });
  out(format === 'json' ? `${JSON.stringify(roiJson(roi), null, 2)}\n` : table(roi));
}

/** The repositories read, by path; past three, by how many (the demo's are thirty, docs/demo.md). */
function reposText(repos: readonly { repo: string }[]): string {
  return repos.length > 3 ? `${repos.length} repositories` : repos.map((x) => x.repo).join(', ');
}

/**
 * Joins this machine's login, which agent logs imported here are attributed to, to the email the first repository
 * commits with: run on one's own logs and repository, the report needs no people file.
 */
async function withThisMachine(ids: Identities, repos: readonly string[]): Promise<Identities> {
  const user = osUser();
  if (user === null) return ids;
  for (const repo of repos) {
    const email = await committerEmail(repo).catch(() => null);
    if (email !== null) return withLocalUser(ids, user, email);
  }
  return ids;
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
const num = (x: number) => x.toFixed(2);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

function table(r: Roi): string {
  const t = r.tiers;
  const day = (us: number) => new Date(us / 1000).toISOString().slice(0, 10);
  const changeCount = r.repos.reduce((s, x) => s + x.changes, 0);
  const changes = counted(changeCount, 'change');
  const lines = [
    `${day(r.since)} – ${day(r.until)} (${t.weeks.toFixed(1)} weeks): ${peopleCount(r.people.people.length)}, ` +
      `${changes} in ${reposText(r.repos)}; tiers cut at the median spend, ` +
      formatUsdDisplay(t.median),
    '',
  ];
  const header = [
    'tier',
    'people',
    'spend',
    'share',
    'per person',
    'shipped/wk',
    'lines/wk',
    'rework',
    'reverted',
    'cost/shipped',
  ];
  const rows = t.tiers.map((s) => [
    s.tier,
    String(s.people),
    formatUsdDisplay(s.spend),
    pct(s.spendShare),
    formatUsdDisplay(s.spendPerPerson),
    num(s.shippedPerPersonWeek),
    s.linesAddedPerPersonWeek.toFixed(0),
    pct(s.reworkRate),
    pct(s.revertRate),
    s.costPerShipped === null ? '—' : formatUsdDisplay(s.costPerShipped),
  ]);
  lines.push(renderTable(header, rows, 1));
  if (t.steps.length > 0) {
    lines.push('', 'Each step up a tier: shipped changes per person per $100 more spent (90% interval)');
    const steps = t.steps.map((s) => [
      `${s.from} → ${s.to}`,
      signed(s.shippedPer100Usd),
      s.interval === null ? '(too few people)' : `(${range(s.interval)})`,
    ]);
    lines.push(renderTable(['step', 'per $100', 'interval'], steps, 1));
  }
  lines.push('', withinLine(r.withinPerson), '', ...mergesLines(r.merges), '', ...notes(r));
  return `${lines.join('\n')}\n`;
}

function withinLine(w: WithinPerson): string {
  if (w.periods.length === 0)
    return 'The same people across periods: the window is under 56 days, too short for two periods of 28 days.';
  // Equal to the day (periodsOf): "of 30 days", or "of 30–31 days".
  const lengths = w.periods.map((p) => Math.round((p.until - p.since) / DAY_US));
  const [short, long] = [Math.min(...lengths), Math.max(...lengths)];
  const days = short === long ? `${short}` : `${short}–${long}`;
  const head = `The same people across ${w.periods.length} periods of ${days} days`;
  if (w.shippedPer100Usd === null) return `${head}: nobody's spend changed.`;
  const interval =
    w.interval === null ? 'too few people for an interval' : `90% interval ${range(w.interval)}`;
  return (
    `${head}, ${peopleCount(w.people)} whose spend changed:\n` +
    `  ${signed(w.shippedPer100Usd)} shipped changes in a period they spend $100 more than their own average ` +
    `(${interval})`
  );
}

/** The costliest merges listed; the JSON has them all. */
const MERGES_SHOWN = 5;

function mergesLines(m: SpendBehindMerges): string[] {
  const head =
    'Agent calls on merged branches (same project and git_branch, up to ' +
    `${BRANCH_LOOKBACK_DAYS} days before the merge)`;
  if (m.merges === 0)
    return [`${head}: no merge in the range names its branch, nor squashes one still in the repository.`];
  const lines = [
    `${head}: ${m.spent.length} of ${counted(m.merges, 'merge')} had calls on their branch, ` +
      `${formatUsdDisplay(m.total)} in all` +
      (m.median === null ? '' : `, median ${formatUsdDisplay(m.median)}`) +
      `; ${formatUsdDisplay(m.reverted)} behind merges later reverted`,
  ];
  if (m.spent.length === 0) return lines;
  const rows = m.spent
    .slice(0, MERGES_SHOWN)
    .map((x) => [
      new Date(x.ts / 1000).toISOString().slice(0, 10),
      x.sha.slice(0, 9),
      x.branch,
      x.name,
      formatUsdDisplay(x.cost_usd),
      counted(x.events, 'call'),
      x.reverted ? 'reverted' : '',
    ]);
  lines.push(renderTable(['merged', 'commit', 'branch', 'by', 'cost', 'calls', ''], rows, 4));
  if (m.spent.length > MERGES_SHOWN)
    lines.push(`… and ${m.spent.length - MERGES_SHOWN} more (--format json)`);
  return lines;
}

const peopleCount = (n: number) => `${groupDigits(n)} ${n === 1 ? 'person' : 'people'}`;
const range = ([lo, hi]: [number, number]) => `${signed(lo)} to ${signed(hi)}`;

function notes(r: Roi): string[] {
  const p = r.people;
  const notes = [
    'shipped: changes on the main line neither reverted nor reverting',
    'rework: lines rewritten or deleted within 21 days of being written, of those whose 21 days have passed',
    'An association across people, not the effect of spending more (docs/roi.md#reading-it).',
  ];
  if (p.unmatched.users.length > 0) {
    const shown = p.unmatched.users.slice(0, 5).join(', ') + (p.unmatched.users.length > 5 ? ', …' : '');
    notes.push(
      `left out: ${formatUsdDisplay(p.unmatched.cost_usd)} of ${counted(p.unmatched.users.length, 'ledger user')} ` +
        `git does not know (${shown}); join them to their emails with --people (docs/roi.md#people-file)`,
    );
  }
  if (p.unattributed.events > 0)
    notes.push(`left out: ${formatUsdDisplay(p.unattributed.cost_usd)} of calls attributed to no user`);
  if (p.botChanges > 0) notes.push(`left out: ${counted(p.botChanges, 'change')} by bots`);
  for (const repo of r.repos)
    if (repo.skippedFiles > 0)
      notes.push(
        `${repo.repo}: ${counted(repo.skippedFiles, 'file patch')} could not be followed line by line; ` +
          'their lines count as neither settled nor reworked (docs/roi.md)',
      );
  const unpriced = p.people.reduce((s, x) => s + x.unpricedEvents, 0);
  if (unpriced > 0) notes.push(`unpriced: ${counted(unpriced, 'call')} not in the spend, which is a floor`);
  return notes;
}
