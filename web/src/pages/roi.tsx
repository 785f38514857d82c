import { Loading, Panel, RangePicker } from '../controls';
import { count, intervalText, people, percent, signed, usd } from '../format';
import type { RoiReport } from '../roi-report';
import { rangeOf } from '../url-state';
import { useApi } from '../use-api';

/** A quarter: a person's weeks even out over it, and it holds three periods to compare each person with themselves. */
const ROI_SINCE = '90d';

export function Roi({ u, admin }: { u: URL; admin: boolean }) {
  const r = useApi<RoiReport>(admin ? '/api/roi' : null, rangeOf(u, ROI_SINCE));
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
  const w = d.within_person;
  const changes = d.repos.reduce((n, x) => n + x.changes, 0);
  return (
    <>
      <p class="muted">
        {people(d.people.length)}, {count(changes)} changes in {d.repos.map((x) => x.repo).join(', ')} over{' '}
        {d.weeks.toFixed(1)} weeks; tiers cut at the median spend, {usd(d.median_spend_usd)}.
      </p>
      <Panel title="Usage tiers">
        <div class="scroll">
          <table data-testid="roi-tiers">
            <caption class="sr-only">Spend and shipped work by usage tier</caption>
            <thead>
              <tr>
                <th scope="col">Tier</th>
                <th scope="col" class="num">
                  People
                </th>
                <th scope="col" class="num">
                  Spend
                </th>
                <th scope="col" class="num">
                  Share
                </th>
                <th scope="col" class="num">
                  Per person
                </th>
                <th scope="col" class="num">
                  Shipped / week
                </th>
                <th scope="col" class="num">
                  Rework
                </th>
                <th scope="col" class="num">
                  Reverted
                </th>
                <th scope="col" class="num">
                  Cost per shipped
                </th>
              </tr>
            </thead>
            <tbody>
              {d.tiers.map((t) => (
                <tr key={t.tier}>
                  <td>{t.tier}</td>
                  <td class="num">{count(t.people)}</td>
                  <td class="num">{usd(t.spend_usd)}</td>
                  <td class="num">{percent(t.spend_share)}</td>
                  <td class="num">{usd(t.spend_per_person_usd)}</td>
                  <td class="num">{t.shipped_per_person_week.toFixed(2)}</td>
                  <td class="num">{percent(t.rework_rate)}</td>
                  <td class="num">{percent(t.revert_rate)}</td>
                  <td class="num">{usd(t.cost_per_shipped_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
      <Panel title="Each step up a tier">
        {d.steps.length === 0 ? (
          <p class="muted">Everyone is in one tier: there is no step to compare.</p>
        ) : null}
        <table data-testid="roi-steps" hidden={d.steps.length === 0}>
          <caption class="sr-only">Shipped changes per person per $100 more spent</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" class="num">
                Shipped per $100 more
              </th>
              <th scope="col" class="num">
                90% interval
              </th>
            </tr>
          </thead>
          <tbody>
            {d.steps.map((s) => (
              <tr key={s.from}>
                <td>
                  {s.from} → {s.to}
                </td>
                <td class="num">{signed(s.shipped_per_100_usd)}</td>
                <td class="num">{intervalText(s.interval_90)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted" data-testid="roi-within">
          {w.periods.length === 0
            ? 'The range is under 56 days: too short to compare each person with themselves.'
            : w.shipped_per_100_usd === null
              ? `Across ${w.periods.length} periods, nobody's spend changed.`
              : `The same people across ${w.periods.length} periods: ${signed(w.shipped_per_100_usd)} shipped ` +
                `changes in a period they spend $100 more than their own average (90% interval ` +
                `${intervalText(w.interval_90)}; ${people(w.people)} whose spend changed).`}{' '}
          Steps compare different people; the within-person figure compares each with themselves
          (docs/roi.md).
        </p>
      </Panel>
      <Merges m={d.spend_behind_merges} />
      <Panel title="People">
        <div class="scroll">
          <table data-testid="roi-people">
            <caption class="sr-only">Each person's spend and shipped work</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Tier</th>
                <th scope="col" class="num">
                  Spend
                </th>
                <th scope="col" class="num">
                  Shipped
                </th>
                <th scope="col" class="num">
                  Reverted
                </th>
                <th scope="col" class="num">
                  Rework
                </th>
              </tr>
            </thead>
            <tbody>
              {d.people.map((p) => (
                <tr key={p.person}>
                  <td>{p.person}</td>
                  <td>{p.tier}</td>
                  <td class="num">{usd(p.spend_usd)}</td>
                  <td class="num">{count(p.shipped)}</td>
                  <td class="num">{count(p.reverted)}</td>
                  <td class="num">
                    {percent(p.settled_lines === 0 ? null : p.reworked_lines / p.settled_lines)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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

/** The merges shown; /api/roi lists them all. */
const MERGES_SHOWN = 10;

function Merges({ m }: { m: RoiReport['spend_behind_merges'] }) {
  return (
    <Panel title="Agent calls on merged branches">
      <p class="muted" data-testid="roi-merges-summary">
        {m.merges === 0
          ? 'No merge in the range names its branch (squash merges do not).'
          : `${count(m.spent.length)} of ${count(m.merges)} ${m.merges === 1 ? 'merge' : 'merges'} had calls on ` +
            `their branch, ${usd(m.total_usd)} ` +
            `in all${m.median_usd === null ? '' : `, median ${usd(m.median_usd)}`}; ${usd(m.reverted_usd)} behind ` +
            "merges later reverted. A call counts for a merge when its project is the repository's folder and its " +
            'git branch the merged one, up to 30 days before (docs/roi.md).'}
      </p>
      {m.spent.length > 0 ? (
        <div class="scroll">
          <table data-testid="roi-merges">
            <caption class="sr-only">Merges by what the agent calls on their branch cost</caption>
            <thead>
              <tr>
                <th scope="col">Merged</th>
                <th scope="col">Branch</th>
                <th scope="col">By</th>
                <th scope="col" class="num">
                  Calls
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {m.spent.slice(0, MERGES_SHOWN).map((x) => (
                <tr key={x.sha}>
                  <td>{x.merged_at.slice(0, 10)}</td>
                  <td>
                    {x.branch}
                    {x.reverted ? <span class="badge">reverted</span> : null}
                  </td>
                  <td>{x.name}</td>
                  <td class="num">{count(x.events)}</td>
                  <td class="num">{usd(x.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Panel>
  );
}
