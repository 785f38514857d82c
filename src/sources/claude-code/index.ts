export { SKIP_CODES } from '../json-line.js';
export { CLAUDE_CODE_SOURCE_ID, claudeCodeSource } from './parse.js';
export { claudeConfigDirs, findClaudeCodeFiles } from './paths.js';
export { type ClaudePathInfo, describeClaudePath } from './project.js';
