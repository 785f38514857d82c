import { DAY_US, dayFactor, WEEKEND_FACTOR } from './calendar.js';
import { AGENT_CALLS, CONVERSATION_CALLS, RATES } from './volumes.js';

/** Calls of the runaway loop: two hours at one call every ~9 s (see incident.ts). */
const INCIDENT_CALLS = 800;

/**
 * Expected number of events generateDemo yields for these options (within a few percent), for progress bars and
 * sizing. Linear in people × days. Without `end` the range is taken as an average run of weekdays and weekends.
 */
export function estimateDemoEvents(opts: { people: number; days: number; end?: number }): number {
  if (opts.people <= 0 || opts.days <= 0) return 0;
  let weekdays: number;
  if (opts.end === undefined) {
    weekdays = (opts.days * (5 + 2 * WEEKEND_FACTOR)) / 7;
  } else {
    weekdays = 0;
    const first = Math.floor((opts.end - opts.days * DAY_US) / DAY_US);
    for (let d = first; d < first + opts.days; d++) weekdays += dayFactor(d);
  }
  const perPersonWeekday =
    RATES.agentSessions * logNormalMean(AGENT_CALLS) +
    RATES.supportConversations * logNormalMean(CONVERSATION_CALLS) +
    RATES.ragQueries * 2 +
    RATES.reviews * logNormalMean(CONVERSATION_CALLS) +
    RATES.emails;
  const batch = opts.days * Math.ceil(opts.people * RATES.batchCalls);
  return Math.round(opts.people * weekdays * perPersonWeekday + batch + INCIDENT_CALLS);
}

function logNormalMean(d: { median: number; sigma: number }): number {
  return d.median * Math.exp((d.sigma * d.sigma) / 2);
}
