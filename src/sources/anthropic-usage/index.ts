export { CLAUDE_CODE_SOURCE, readClaudeCodeRecord } from './claude-code.js';
export { CENTS_SCALE, costReportRecord } from './cost-report.js';
export { ANTHROPIC_USAGE_SOURCE, messagesEvent, UNREPORTED_MODEL } from './messages.js';
export { anthropicUsageSource } from './source.js';
