/**
 * What `tokenledger import KIND` knows: each kind's parser, how a re-import treats its files (file-plan.ts), and,
 * for local agent logs, where the files are found when no folder is given.
 */
import { findAmpFiles } from '../sources/amp/paths.js';
import { findClaudeCodeFiles } from '../sources/claude-code/paths.js';
import { findCodexFiles } from '../sources/codex/paths.js';
import { findCopilotFiles } from '../sources/copilot/paths.js';
import type { Discovery, Env } from '../sources/find-files.js';
import { findGeminiCliFiles } from '../sources/gemini-cli/paths.js';
import { findPiFiles } from '../sources/pi/paths.js';
import { findQwenCodeFiles } from '../sources/qwen-code/paths.js';
import type { LineSource } from '../sources/source.js';
import type { ResumeMode } from './file-plan.js';
import type { WorkerSourceId } from './worker/import-in-worker.js';

type Discover = (o: { env: Env; home: string; dirs?: readonly string[] }) => Promise<Discovery>;

export interface ImportKind {
  /** The source's id (`LineSource.id`), known before its parser is loaded: it keys the import state. */
  id: string;
  /**
   * The parser, imported when a file is read: loading every source (and zod, through the canonical ones) took ~50 ms
   * of each import, most of a re-import with nothing new.
   */
  load: () => Promise<LineSource>;
  mode: ResumeMode;
  /** The parser reports bytes that are not UTF-8 itself, where they matter (import-files.ts). */
  parserJudgesEncoding: boolean;
  /** Lines without this text cannot hold a record and are not decoded (read-lines.ts `skipUnless`). */
  skipUnless?: string;
  /** Local agent logs: finds the files under the given folders, or the tool's default folders. */
  discover?: Discover;
  /** Canonical files: parsed, validated and priced in a worker thread (ingest/worker/). */
  worker?: WorkerSourceId;
}

export const AGENT_LOG_KINDS = [
  'claude-code',
  'codex',
  'gemini-cli',
  'copilot',
  'pi',
  'amp',
  'qwen-code',
] as const;

/**
 * Claude Code and Codex logs only grow (append: read on from the last stop; Codex's parser carries its session,
 * model and totals across as state). Gemini rewrites messages (and `.json` sessions whole): a changed file of its is
 * read whole and the store drops the events it holds. Provider exports are documents: same rule. Canonical jsonl/csv are re-read every time, so an edited file shows its
 * duplicates.
 */
export const IMPORT_KINDS: Record<string, ImportKind> = {
  'claude-code': {
    id: 'claude-code',
    load: async () => (await import('../sources/claude-code/parse.js')).claudeCodeSource,
    mode: 'append',
    parserJudgesEncoding: true,
    // Only lines with message.usage become events; prompts and tool output (most of the bytes) are not decoded.
    skipUnless: '"usage"',
    discover: findClaudeCodeFiles,
  },
  codex: {
    id: 'codex',
    load: async () => (await import('../sources/codex/parse.js')).codexSource,
    mode: 'append',
    parserJudgesEncoding: true,
    discover: findCodexFiles,
  },
  'gemini-cli': {
    id: 'gemini-cli',
    load: async () => (await import('../sources/gemini-cli/parse.js')).geminiCliSource,
    mode: 'whole-file',
    parserJudgesEncoding: true,
    discover: findGeminiCliFiles,
  },
  copilot: {
    id: 'copilot',
    load: async () => (await import('../sources/copilot/parse.js')).copilotSource,
    // events.jsonl only grows (a resumed session appends to it); the parser carries the session's context as state.
    mode: 'append',
    parserJudgesEncoding: true,
    // Usage is only in session.shutdown lines, context in session.start/resume: prompts and tool output are not decoded.
    skipUnless: '"session.',
    discover: findCopilotFiles,
  },
  // pi appends one line per session entry and never rewrites one; its parser carries the header's facts as state.
  pi: {
    id: 'pi',
    load: async () => (await import('../sources/pi/parse.js')).piSource,
    mode: 'append',
    parserJudgesEncoding: true,
    discover: findPiFiles,
  },
  // Amp rewrites a thread's whole JSON document as the thread goes on.
  amp: {
    id: 'amp',
    load: async () => (await import('../sources/amp/parse.js')).ampSource,
    mode: 'whole-file',
    parserJudgesEncoding: true,
    discover: findAmpFiles,
  },
  // Qwen Code appends one record per line to a session's chat file and never rewrites one.
  'qwen-code': {
    id: 'qwen-code',
    load: async () => (await import('../sources/qwen-code/parse.js')).qwenCodeSource,
    mode: 'append',
    parserJudgesEncoding: true,
    // Only assistant records with usageMetadata become events: prompts, tool output and telemetry are not decoded.
    skipUnless: '"usageMetadata"',
    discover: findQwenCodeFiles,
  },
  'openai-usage': {
    id: 'openai-usage',
    load: async () => (await import('../sources/openai-usage/source.js')).openaiUsageSource,
    mode: 'whole-file',
    parserJudgesEncoding: true,
  },
  'anthropic-usage': {
    id: 'anthropic-usage',
    load: async () => (await import('../sources/anthropic-usage/source.js')).anthropicUsageSource,
    mode: 'whole-file',
    parserJudgesEncoding: true,
  },
  cursor: {
    id: 'cursor',
    load: async () => (await import('../sources/cursor/source.js')).cursorSource,
    mode: 'whole-file',
    parserJudgesEncoding: true,
  },
  jsonl: {
    id: 'jsonl',
    load: async () => (await import('../sources/jsonl/parse.js')).jsonlSource,
    mode: 'always',
    parserJudgesEncoding: false,
    worker: 'jsonl',
  },
  csv: {
    id: 'csv',
    load: async () => (await import('../sources/csv/parse.js')).csvSource,
    mode: 'always',
    parserJudgesEncoding: false,
    worker: 'csv',
  },
};
