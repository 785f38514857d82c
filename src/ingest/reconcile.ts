/**
 * Reconciliation: our computed cost against what the provider reported, by UTC day, provider, project and model.
 * Pure: takes the store's computed sums and cost records, returns rows (docs/reconcile.md). All money is bigint
 * pico-dollars; percentages are exact hundredths, rounded half to even.
 */
import { divRoundHalfEven } from '../money/money.js';
import type { ProviderCostRecord } from '../sources/provider-records.js';
import type { ComputedCostRow } from '../store/import-records.js';

/** `cost-report`: the provider's cost export (provider_costs); `event`: costs carried on events (provider_cost_usd). */
type Basis = 'cost-report' | 'event';

export interface ReconcileRow {
  day: string;
  basis: Basis;
  /** Source of the provider's numbers (`openai-usage`, `cursor`, `claude-code`, …). */
  source: string;
  provider: string | null;
  project: string | null;
  /**
   * Canonical model; null when the provider's cost covers every model of the day and project, and on the row of a
   * report's lines that name no model (`model_less_lines`).
   */
  model: string | null;
  /**
   * The row of the lines that name no model (web search, code execution, …) in a report compared model by model,
   * against the web search fees of the usage: not every model's cost, though its model is null too.
   */
  model_less_lines: boolean;
  /** Usage events our cost covers, and how many of them have no price (then our cost is short). */
  events: number;
  unpriced_events: number;
  computed_usd: bigint;
  reported_usd: bigint;
  /** computed − reported. */
  diff_usd: bigint;
  /** diff / |reported| in hundredths of a percent, half to even; null when the provider reported 0. */
  diff_bp: bigint | null;
  /** Difference over the threshold, a side with nothing to compare (reported 0, or no usage), or unpriced events. */
  flagged: boolean;
}

export interface ReconcileOptions {
  /** Threshold in hundredths of a percent (5% = 500n). */
  thresholdBp: bigint;
  /** The ledger's canonical id for a model name a cost report wrote (`claude-sonnet-4-20250514` → `…-4-0`). */
  canonical: (model: string, provider: string) => string;
}

export interface Reconciliation {
  rows: ReconcileRow[];
  /** Cost records in a currency other than USD: not compared (no exchange rates in the ledger). */
  otherCurrency: number;
  /**
   * Cost records with neither line item nor model left out because their day and project has records with them:
   * the same costs exported at a coarser grouping, which counted too would double the provider's side.
   */
  overlapping: number;
}

type Partial = Omit<ReconcileRow, 'diff_usd' | 'diff_bp' | 'flagged'>;

export function reconcile(
  computed: readonly ComputedCostRow[],
  reported: readonly ProviderCostRecord[],
  o: ReconcileOptions,
): Reconciliation {
  const rows: Partial[] = [];
  for (const c of computed) {
    if (c.provider_cost_events === 0) continue;
    rows.push({
      day: c.day,
      basis: 'event',
      source: c.source,
      provider: c.provider,
      project: c.project,
      model: c.model,
      model_less_lines: false,
      events: c.provider_cost_events,
      unpriced_events: c.unpriced_provider_cost_events,
      computed_usd: c.cost_usd_of_provider_cost_events,
      reported_usd: c.provider_cost_usd,
    });
  }
  const usd = reported.filter((r) => r.currency === 'USD');
  const costs = costReportRows(computed, usd, o);
  rows.push(...costs.rows);
  rows.sort(compareRows);
  return {
    rows: rows.map((r) => finish(r, o.thresholdBp)),
    otherCurrency: reported.length - usd.length,
    overlapping: costs.overlapping,
  };
}

/**
 * Cost records group by (day, source, provider, project). A group whose records name no model (OpenAI's costs
 * cannot be grouped by model) is compared with all the day's usage of that project from the same export; a group
 * with models is compared model by model, its model-less lines (web search, …) in a row of their own against the
 * web search fees of the usage, and usage of a model the provider billed nothing for in a row against 0. Only usage
 * from the export that carried the cost records (same `source`) counts, so agent logs of the same calls are not
 * counted twice.
 */
function costReportRows(
  computed: readonly ComputedCostRow[],
  records: readonly ProviderCostRecord[],
  o: ReconcileOptions,
): { rows: Partial[]; overlapping: number } {
  const groups = new Map<string, { key: GroupKey; records: ProviderCostRecord[] }>();
  for (const r of records) {
    const key: GroupKey = {
      day: new Date(r.bucket_start / 1000).toISOString().slice(0, 10),
      source: r.source,
      provider: r.provider,
      project: r.project,
    };
    const k = groupId(key);
    const g = groups.get(k) ?? { key, records: [] };
    g.records.push(r);
    groups.set(k, g);
  }
  const sources = new Set(records.map((r) => r.source));
  const usage = new Map<string, ComputedCostRow[]>();
  for (const c of computed) {
    if (!sources.has(c.source)) continue;
    const k = groupId(c);
    usage.set(k, [...(usage.get(k) ?? []), c]);
  }
  const out: Partial[] = [];
  let overlapping = 0;
  for (const [k, g] of groups) {
    const events = usage.get(k) ?? [];
    usage.delete(k);
    // One day and project exported with line items (OpenAI group_by=line_item, Anthropic group_by=description) and
    // again without: its totals are the same costs summed up, so only the line items are compared.
    const itemised = g.records.some((r) => !isTotal(r));
    const records = itemised ? g.records.filter((r) => !isTotal(r)) : g.records;
    overlapping += g.records.length - records.length;
    if (records.every((r) => r.model === null)) {
      out.push(row(g.key, null, events, sum(records)));
      continue;
    }
    const byModel = new Map<string | null, ProviderCostRecord[]>();
    for (const r of records) {
      const m = r.model === null ? null : o.canonical(r.model, r.provider);
      byModel.set(m, [...(byModel.get(m) ?? []), r]);
    }
    // Such a report bills web search on a model-less line ("model: null … for non-token costs"), while the ledger
    // prices the searches on the model's events: the fees go to the model-less row, so neither the model's row nor
    // the search line differs by them.
    const searches = events.map(searchesOf);
    const tokens = events.map((e) => ({ ...e, cost_usd: e.cost_usd - e.web_search_usd }));
    for (const [model, recs] of byModel) {
      const ev = model === null ? searches : tokens.filter((e) => e.model === model);
      out.push(row(g.key, model, ev, sum(recs), model === null));
    }
    if (!byModel.has(null) && searches.some((e) => e.events > 0))
      out.push(row(g.key, null, searches, 0n, true));
    for (const e of tokens) if (!byModel.has(e.model)) out.push(row(g.key, e.model, [e], 0n));
  }
  // Usage from an export whose cost records have nothing for that day and project: billed nothing?
  for (const events of usage.values()) {
    const e = events[0]!;
    out.push(
      row({ day: e.day, source: e.source, provider: e.provider ?? '', project: e.project }, null, events, 0n),
    );
  }
  return { rows: out, overlapping };
}

interface GroupKey {
  day: string;
  source: string;
  provider: string | null;
  project: string | null;
}

const groupId = (k: GroupKey) => JSON.stringify([k.day, k.source, k.provider, k.project]);

function row(
  k: GroupKey,
  model: string | null,
  events: readonly ComputedCostRow[],
  reported: bigint,
  modelLessLines = false,
): Partial {
  return {
    day: k.day,
    basis: 'cost-report',
    source: k.source,
    provider: k.provider,
    project: k.project,
    model,
    model_less_lines: modelLessLines,
    events: events.reduce((a, e) => a + e.events, 0),
    unpriced_events: events.reduce((a, e) => a + e.unpriced_events, 0),
    computed_usd: events.reduce((a, e) => a + e.cost_usd, 0n),
    reported_usd: reported,
  };
}

/** A record of a report not grouped by line item or model: the day's and project's whole cost. */
const isTotal = (r: ProviderCostRecord) => r.line_item === null && r.model === null;

/** The web searches of a usage row, as a row of their own: their events and their fees. */
const searchesOf = (e: ComputedCostRow): ComputedCostRow => ({
  ...e,
  events: e.web_search_events,
  unpriced_events: e.unpriced_web_search_events,
  cost_usd: e.web_search_usd,
});

const sum = (rs: readonly ProviderCostRecord[]) => rs.reduce((a, r) => a + r.amount, 0n);

function finish(r: Partial, thresholdBp: bigint): ReconcileRow {
  const diff = r.computed_usd - r.reported_usd;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  // Relative to the report's magnitude, so the percentage has the sign of the difference even for a credit.
  const bp = r.reported_usd === 0n ? null : divRoundHalfEven(diff * 10_000n, abs(r.reported_usd));
  const over =
    bp === null ? diff !== 0n || r.events === 0 : abs(diff) * 10_000n > thresholdBp * abs(r.reported_usd);
  return { ...r, diff_usd: diff, diff_bp: bp, flagged: over || r.unpriced_events > 0 || r.events === 0 };
}

function compareRows(a: Partial, b: Partial): number {
  const ka = [a.day, a.basis, a.source, a.provider ?? '', a.project ?? '', a.model ?? ''];
  const kb = [b.day, b.basis, b.source, b.provider ?? '', b.project ?? '', b.model ?? ''];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}
