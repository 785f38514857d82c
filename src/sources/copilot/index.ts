export { SKIP_CODES } from '../json-line.js';
export { COPILOT_LINE_MARK, COPILOT_SOURCE_ID, copilotSource } from './parse.js';
export { copilotHome, findCopilotFiles } from './paths.js';
export { modelEvent, type SessionFacts } from './shutdown.js';
