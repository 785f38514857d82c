/** A five-hour window as `/api/blocks` gives it (docs/api.md; `tokenledger blocks --format json`). */
export type UsageWindow = {
  agent: string;
  start: string;
  end: string;
  active: boolean;
  calls: number;
  unpriced_calls: number;
  tokens: number;
  cost_usd: string;
  models: string[];
  burn: { cost_per_hour_usd: string; projected_cost_usd: string } | null;
};

/** By start, newest first; windows that start together by agent. */
export const newestFirst = (a: UsageWindow, b: UsageWindow) =>
  b.start.localeCompare(a.start) || a.agent.localeCompare(b.agent);
