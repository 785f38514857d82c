import { Loading, Panel, RangePicker, Table } from '../controls';
import { count, intervalText, people, percent, signed, usd } from '../format';
import type { RoiReport } from '../roi-report';
import { rangeOf } from '../url-state';
import { useApi } from '../use-api';

/** A quarter: a person's weeks even out over it, and it holds three periods to compare each person with themselves. */
const ROI_SINCE = '90d';

/** The merges shown; /api/roi lists them all. */
const MERGES_SHOWN = 10;

export function Roi({ u, admin }: { u: URL; admin: boolean }) {
  const params = rangeOf(u, ROI_SINCE);
  // No range picked: the API's own window, the 90 days before today's UTC day (or from the ledger's first day with
  // calls, where it began later), whose whole days the ledger's daily sums answer where a raw retention kept only
  // those (docs/roi.md).
  if (!u.searchParams.has('since')) params.delete('since');
  const r = useApi<RoiReport>(admin ? '/api/roi' : null, params);
  const d = r.data;
  return (
    <>
      <div class="toolbar">
        <h1>ROI</h1>
        <RangePicker u={u} fallback={ROI_SINCE} />
      </div>
      {!admin ? (
        <p class="muted">The ROI page names people and their output: it is for admin tokens only.</p>
      ) : d ? (
        <RoiView d={d} />
      ) : r.code === 'API_NOT_FOUND' ? (
        <Panel title="No repositories to read">
          <p>
            Name the git repositories whose work the spend is set beside in the config file's{' '}
            <code>roi:</code> (docs/roi.md), then restart <code>tokenledger serve</code>. On the command line,{' '}
            <code>tokenledger roi --repo PATH</code> gives the same report.
          </p>
        </Panel>
      ) : (
        <Loading error={r.error} />
      )}
    </>
  );
}

function RoiView({ d }: { d: RoiReport }) {
  const changes = d.repos.reduce((n, x) => n + x.changes, 0);
  return (
    <>
      <p class="muted">
        {people(d.people.length)}, {count(changes)} changes in{' '}
        {d.repos.length > 3 ? `${d.repos.length} repositories` : d.repos.map((x) => x.repo).join(', ')} over{' '}
        {d.weeks.toFixed(1)} weeks from {d.since.slice(0, 10)}; tiers cut at the median spend,{' '}
        {usd(d.median_spend_usd)}.
      </p>
      <Panel title="Usage tiers">
        <Table
          testId="roi-tiers"
          caption="Spend and shipped work by usage tier"
          head={[
            'Tier',
            'People',
            'Spend',
            'Share',
            'Per person',
            'Shipped / week',
            'Rework',
            'Reverted',
            'Cost per shipped',
          ]}
          rows={d.tiers.map((t) => [
            t.tier,
            [
              t.tier,
              count(t.people),
              usd(t.spend_usd),
              percent(t.spend_share),
              usd(t.spend_per_person_usd),
              t.shipped_per_person_week.toFixed(2),
              percent(t.rework_rate),
              percent(t.revert_rate),
              usd(t.cost_per_shipped_usd),
            ],
          ])}
        />
      </Panel>
      <Panel title="Each step up a tier">
        {d.steps.length === 0 ? (
          <p class="muted">Everyone is in one tier: there is no step to compare.</p>
        ) : (
          <Table
            testId="roi-steps"
            caption="Shipped changes per person per $100 more spent"
            head={['Step', 'Shipped per $100 more', '90% interval']}
            rows={d.steps.map((s) => [
              s.from,
              [`${s.from} → ${s.to}`, signed(s.shipped_per_100_usd), intervalText(s.interval_90)],
            ])}
          />
        )}
        <p class="muted" data-testid="roi-within">
          {withinText(d.within_person)} Steps compare different people; the within-person figure compares each
          with themselves (docs/roi.md).
        </p>
      </Panel>
      <Merges m={d.spend_behind_merges} />
      <Panel title="People">
        <Table
          testId="roi-people"
          caption="Each person's spend and shipped work"
          labels={2}
          head={['Person', 'Tier', 'Spend', 'Shipped', 'Reverted', 'Rework']}
          rows={d.people.map((p) => [
            p.person,
            [
              p.person,
              p.tier,
              usd(p.spend_usd),
              count(p.shipped),
              count(p.reverted),
              percent(p.settled_lines === 0 ? null : p.reworked_lines / p.settled_lines),
            ],
          ])}
        />
        <ul class="muted" data-testid="roi-left-out">
          {d.unmatched.users.length > 0 ? (
            <li>
              Left out: {usd(d.unmatched.cost_usd)} of {count(d.unmatched.users.length)} ledger users git does
              not know ({d.unmatched.users.slice(0, 5).join(', ')}
              {d.unmatched.users.length > 5 ? ', …' : ''}); join them in the people file.
            </li>
          ) : null}
          {d.unattributed.events > 0 ? (
            <li>Left out: {usd(d.unattributed.cost_usd)} of calls with no user.</li>
          ) : null}
          {d.bot_changes > 0 ? <li>Left out: {count(d.bot_changes)} changes by bots.</li> : null}
        </ul>
      </Panel>
    </>
  );
}

function withinText(w: RoiReport['within_person']): string {
  if (w.periods.length === 0)
    return 'The range is under 56 days: too short to compare each person with themselves.';
  if (w.shipped_per_100_usd === null) return `Across ${w.periods.length} periods, nobody's spend changed.`;
  const interval =
    w.interval_90 === null ? 'too few people for an interval' : `90% interval ${intervalText(w.interval_90)}`;
  return (
    `The same people across ${w.periods.length} periods: ${signed(w.shipped_per_100_usd)} shipped changes in a ` +
    `period they spend $100 more than their own average (${interval}; ${people(w.people)} whose spend changed).`
  );
}

function Merges({ m }: { m: RoiReport['spend_behind_merges'] }) {
  const merges = `${count(m.merges)} ${m.merges === 1 ? 'merge' : 'merges'}`;
  return (
    <Panel title="Agent calls on merged branches">
      <p class="muted" data-testid="roi-merges-summary">
        {m.merges === 0
          ? 'No merge in the range names its branch, nor squashes one still in the repository.'
          : `${count(m.spent.length)} of ${merges} had calls on their branch, ${usd(m.total_usd)} in all` +
            `${m.median_usd === null ? '' : `, median ${usd(m.median_usd)}`}; ${usd(m.reverted_usd)} behind ` +
            "merges later reverted. A call counts for a merge when its project is the repository's folder and its " +
            'git branch the merged one, up to 30 days before (docs/roi.md).'}
      </p>
      {m.spent.length > 0 ? (
        <Table
          testId="roi-merges"
          caption="Merges by what the agent calls on their branch cost"
          labels={3}
          head={['Merged', 'Branch', 'By', 'Calls', 'Cost']}
          rows={m.spent.slice(0, MERGES_SHOWN).map((x) => [
            x.sha,
            [
              x.merged_at.slice(0, 10),
              <>
                {x.branch}
                {x.reverted ? <span class="badge">reverted</span> : null}
              </>,
              x.name,
              count(x.events),
              usd(x.cost_usd),
            ],
          ])}
        />
      ) : null}
    </Panel>
  );
}
