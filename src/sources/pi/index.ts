export { SKIP_CODES } from '../json-line.js';
export { factsFromPath, messageEvent, PI_SOURCE_ID, type SessionFacts } from './message.js';
export { piSource } from './parse.js';
export { findPiFiles, piAgentDir, piSessionsDir } from './paths.js';
export { type PiTokens, readPiUsage } from './usage.js';
