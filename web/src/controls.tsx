import { type ComponentChildren, createContext } from 'preact';
import { useContext, useState } from 'preact/hooks';
import type { Row } from './api';
import { count, groupLabel, isFolded, rowUsd, TIME_ZONE } from './format';
import { RANGE_PRESETS } from './range-presets';
import { chooseDays, DEFAULT_SINCE, dayZone, setParams } from './url-state';
import { useApi } from './use-api';

/**
 * The time range control every page shares; it writes `since` into the URL (and drops `until`: a preset ends now).
 * `fallback` is the page's default.
 */
export function RangePicker({ u, fallback = DEFAULT_SINCE }: { u: URL; fallback?: string }) {
  const since = u.searchParams.get('since') ?? fallback;
  const until = u.searchParams.get('until');
  // A range that ends before now (a shared link with `until`) is no preset, though its start may read like one.
  const value = until ? 'range' : since;
  return (
    <label class="range">
      <span>Time range</span>
      <select
        name="since"
        value={value}
        onChange={(e) =>
          setParams({ since: (e.target as HTMLSelectElement).value, until: null, cursor: null, newer: null })
        }
      >
        {RANGE_PRESETS.map(([v, l]) => (
          <option value={v} key={v}>
            {l}
          </option>
        ))}
        {until ? (
          <option value="range">
            {since} to {until}
          </option>
        ) : RANGE_PRESETS.some(([v]) => v === since) ? null : (
          <option value={since}>Since {since}</option>
        )}
      </select>
    </label>
  );
}

/**
 * Whose days the charts, dates and month follow: UTC's (the default) or the browser's zone's, and a link's own zone
 * when it names another. The choice is remembered for the next pages and visits.
 */
export function DaysPicker({ u }: { u: URL }) {
  const zone = dayZone(u);
  const zones = [...new Set(['UTC', TIME_ZONE, zone ?? 'UTC'])];
  if (zones.length === 1) return null; // a browser on UTC, and no link's zone: nothing to choose
  return (
    <label class="days">
      <span class="sr-only">Days of</span>
      <select
        name="tz"
        value={zone ?? 'UTC'}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          chooseDays(v === 'UTC' ? null : v);
        }}
      >
        {zones.map((z) => (
          <option key={z} value={z}>
            {z === 'UTC' ? 'UTC days' : z === TIME_ZONE ? `Local days (${z})` : `${z} days`}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The team a viewer token is limited to (null for admins and viewers of every team): filter chips read it. */
export const ViewerTeam = createContext<string | null>(null);

/** The active `where` filters as removable chips. */
export function FilterChips({ u }: { u: URL }) {
  // A filter a link gives twice is one filter (the API ANDs them): one chip, which removes it.
  const where = [...new Set(u.searchParams.getAll('where'))];
  const team = useContext(ViewerTeam);
  if (where.length === 0) return null;
  // A shared link may filter by a team this token cannot see: the server answers with nothing, and says so here.
  const teams = where.filter((w) => w.startsWith('team=')).map((w) => w.slice('team='.length));
  const unseen = team !== null && teams.length > 0 && !teams.includes(team);
  return (
    <>
      <ul class="chips" aria-label="Active filters">
        {where.map((w) => (
          <li key={w}>
            {w.replace('=', ' = ')}
            <button
              type="button"
              aria-label={`Remove filter ${w}`}
              onClick={() => setParams({ where: where.filter((x) => x !== w), cursor: null, newer: null })}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {unseen ? (
        <p class="warning" role="status" data-testid="unseen-team">
          This sign-in sees only team {team}: the filter on team {teams.join(', ')} matches nothing it can
          see.
        </p>
      ) : null}
    </>
  );
}

/**
 * What the API can group and filter by (`/api/dimensions`), with `named` (dimensions the URL names: a tag is
 * `tag.KEY`, any key) and `team` offered even before the list arrives.
 */
export function useDimensions(named: readonly string[]): string[] {
  const known = useApi<{ dimensions: string[] }>('/api/dimensions');
  return [...new Set([...(known.data?.dimensions ?? []).filter((d) => d !== 'tag.KEY'), ...named, 'team'])];
}

/** A dimension and a value, added to the URL's `where` filters (and back to the first page). */
export function AddFilter({ u, dims }: { u: URL; dims: readonly string[] }) {
  const [dim, setDim] = useState('team');
  const [value, setValue] = useState('');
  return (
    <fieldset class="add-filter">
      <legend>Filter</legend>
      <select
        aria-label="Filter dimension"
        value={dim}
        onChange={(e) => setDim((e.target as HTMLSelectElement).value)}
      >
        {dims.map((d) => (
          <option key={d}>{d}</option>
        ))}
      </select>
      <input
        aria-label="Filter value"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        placeholder="value"
      />
      <button
        type="button"
        // Without a value the filter would match nothing, and the page would read as no spend.
        disabled={value.trim() === ''}
        onClick={() => {
          setParams({
            where: [...new Set([...u.searchParams.getAll('where'), `${dim}=${value.trim()}`])],
            cursor: null,
            newer: null,
          });
          setValue('');
        }}
      >
        Add
      </button>
    </fieldset>
  );
}

/** The filter form and the active filters' chips: what a page filtered by `where` shows above its content. */
export function FilterBar({ u }: { u: URL }) {
  const dims = useDimensions([]);
  return (
    <>
      <form class="controls" onSubmit={(e) => e.preventDefault()}>
        <AddFilter u={u} dims={dims} />
      </form>
      <FilterChips u={u} />
    </>
  );
}

export function Kpi({ label, value, hint, id }: { label: string; value: string; hint?: string; id: string }) {
  return (
    <div class="kpi" data-kpi={id}>
      <div class="kpi-label">{label}</div>
      <div class="kpi-value">{value}</div>
      {hint ? <div class="kpi-hint">{hint}</div> : null}
    </div>
  );
}

export function Panel({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="panel" aria-label={title}>
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** A ranked list: label (optionally a link that drills down), cost, share bar. */
export function TopList({
  rows,
  dim,
  total,
  link,
}: {
  rows: Row[];
  dim: string;
  total: number;
  link?: (v: string) => string;
}) {
  if (rows.length === 0) return <p class="muted">No spend in this range.</p>;
  return (
    <table class="top">
      <caption class="sr-only">Top {dim} by cost</caption>
      <thead>
        <tr>
          <th scope="col">{dim}</th>
          <th scope="col" class="num">
            Cost
          </th>
          <th scope="col" class="num">
            Calls
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const v = groupLabel(r, dim);
          const share = total > 0 ? (Number(r.cost_usd) / total) * 100 : 0;
          return (
            <tr key={v}>
              <td>
                {link && !isFolded(r) && r[dim] !== null ? <a href={link(v)}>{v}</a> : v}
                <div class="bar" style={{ width: `${share}%` }} aria-hidden="true" />
              </td>
              <td class="num">{rowUsd(r)}</td>
              <td class="num">{count(r.requests, true)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * A table for people and screen readers: its caption read aloud only, the first `labels` columns text and the rest
 * numbers (right-aligned, as every page's tables align them). Each row is its key and its cells.
 */
export function Table({
  caption,
  head,
  rows,
  labels = 1,
  testId,
}: {
  caption: string;
  head: readonly string[];
  rows: readonly (readonly [string, readonly ComponentChildren[]])[];
  labels?: number;
  testId?: string;
}) {
  const cls = (i: number) => (i < labels ? undefined : 'num');
  return (
    <div class="scroll">
      <table data-testid={testId}>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th scope="col" class={cls(i)} key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([key, cells]) => (
            <tr key={key}>
              {cells.map((c, i) => (
                <td class={cls(i)} key={i}>
                  {c}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Loading({ error }: { error?: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  );
}
