/**
 * Daily volumes per person on a weekday (weekends carry WEEKEND_FACTOR of them). Internal apps scale with
 * headcount too, so the whole demo scales linearly with people × days. Together with the session lengths below
 * they give ~147 events per person per weekday: 300 people × 30 days ≈ 1M events.
 */
export const RATES = {
  agentSessions: 3.25,
  supportConversations: 2.5,
  ragQueries: 3,
  reviews: 0.5,
  emails: 3,
  /** Batch classifier calls per person per day, every day. */
  batchCalls: 1 / 3,
} as const;

/** Median and log-sigma of calls per session; the means follow from the log-normal, clamping aside. */
export const AGENT_CALLS = { median: 30, sigma: 0.7 } as const;
export const CONVERSATION_CALLS = { median: 4, sigma: 0.5 } as const;
