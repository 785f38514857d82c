export { completionsEvent, OPENAI_USAGE_SOURCE, UNREPORTED_MODEL } from './completions.js';
export { costRecord } from './costs.js';
export { openaiUsageSource } from './source.js';
