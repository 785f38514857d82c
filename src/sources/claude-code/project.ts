/** What a Claude Code log's path says about it. Pure: reads only the path string. */
export interface ClaudePathInfo {
  /** `projects/<folder>/…`: Claude Code names the folder after the working directory, `/` replaced by `-`. */
  projectFolder: string | null;
  /** File name without `.jsonl` when the file sits in a `subagents/` folder (e.g. `agent-a2898e3`). */
  subagent: string | null;
  /** Session id the path implies, for lines without `sessionId`: the parent session folder of a subagent log,
   * else the file name. */
  sessionFromPath: string | null;
}

export function describeClaudePath(path: string): ClaudePathInfo {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const file = parts.at(-1) ?? '';
  const stem = file.replace(/\.jsonl$/i, '') || null;
  const projectsAt = parts.lastIndexOf('projects');
  const projectFolder = projectsAt >= 0 && projectsAt + 2 < parts.length ? parts[projectsAt + 1]! : null;
  const inSubagents = parts.at(-2) === 'subagents';
  return {
    projectFolder,
    subagent: inSubagents ? stem : null,
    sessionFromPath: inSubagents ? (parts.at(-3) ?? stem) : stem,
  };
}
