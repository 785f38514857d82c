export { SKIP_CODES } from '../json-line.js';
export { AMP_SOURCE_ID, AMP_UNKNOWN_MODEL, ampSource } from './parse.js';
export { ampDataDir, findAmpFiles } from './paths.js';
