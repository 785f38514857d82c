/**
 * Runs `fn` where `tokenledger start` and `import auto` find no local agent logs: HOME is `home` (a folder with
 * none) and no log folder is named by the environment, unless `env` names one. Restores the environment after.
 */
export async function withoutAgentLogs<T>(
  home: string,
  fn: () => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const bare: Record<string, string> = {
    HOME: home,
    CLAUDE_CONFIG_DIR: '',
    CODEX_HOME: '',
    GEMINI_DATA_DIR: '',
    COPILOT_HOME: '',
    PI_CODING_AGENT_DIR: '',
    // Amp's folder follows XDG_DATA_HOME on Linux (src/sources/amp/paths.ts): emptied, it falls back to HOME.
    AMP_DATA_DIR: '',
    AMP_DATA_HOME: '',
    XDG_DATA_HOME: '',
    // Qwen Code's runtime folder (src/sources/qwen-code/paths.ts): emptied, it falls back to HOME.
    QWEN_RUNTIME_DIR: '',
    QWEN_HOME: '',
    ...env,
  };
  const saved = Object.fromEntries(Object.keys(bare).map((k) => [k, process.env[k]]));
  Object.assign(process.env, bare);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}
