export { SKIP_CODES } from '../json-line.js';
export {
  factsFromPath,
  providerOfModel,
  QWEN_CODE_SOURCE_ID,
  QWEN_CODE_UNKNOWN_MODEL,
  recordEvent,
} from './message.js';
export { QWEN_CODE_USAGE_MARK, qwenCodeSource } from './parse.js';
export { findQwenCodeFiles, qwenProjectsDir, qwenRuntimeDir } from './paths.js';
