export { SKIP_CODES } from '../json-line.js';
export { CODEX_FALLBACK_MODEL, CODEX_SOURCE_ID, codexSource } from './parse.js';
export { codexHome, findCodexFiles } from './paths.js';
