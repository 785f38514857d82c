export { SKIP_CODES } from '../json-line.js';
export { type FileFacts, factsFromPath, GEMINI_UNKNOWN_MODEL, messageEvent } from './message.js';
export { GEMINI_CLI_SOURCE_ID, geminiCliSource } from './parse.js';
export { findGeminiCliFiles, geminiDataDir } from './paths.js';
