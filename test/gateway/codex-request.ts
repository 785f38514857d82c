/**
 * A Responses request shaped as the Codex CLI sends one late in a session (codex-rs `ResponsesApiRequest`: model,
 * instructions, input, tools, tool_choice, parallel_tool_calls, reasoning, store, stream, include,
 * prompt_cache_key): ~220 kB of history, so its zstd spans several 128 kB blocks. Made up, and the same every time:
 * test/fixtures/gateway/codex-responses-request.json.zst is it compressed as Codex compresses it (see the README there).
 */
export function codexRequest(): string {
  const input: unknown[] = [];
  for (let turn = 1; turn <= 40; turn++) {
    input.push({
      type: 'message',
      role: 'user',
      content: [
        {
          type: 'input_text',
          text: `Step ${turn}: run the tests of package ${turn % 7} and fix what fails.`,
        },
      ],
    });
    const call = `call_${String(turn).padStart(4, '0')}`;
    input.push({
      type: 'function_call',
      name: 'shell',
      arguments: JSON.stringify({
        command: ['bash', '-lc', `npm test -w pkg-${turn % 7}`],
        timeout_ms: 120000,
      }),
      call_id: call,
    });
    const lines: string[] = [];
    for (let i = 0; i < 90; i++)
      lines.push(
        `  ${i % 9 === turn % 9 ? '✗' : '✓'} pkg-${turn % 7}/test/case-${i}.test.ts > case ${i}.${turn} (${(i * 37 + turn * 11) % 400} ms)`,
      );
    input.push({ type: 'function_call_output', call_id: call, output: lines.join('\n') });
    input.push({
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'output_text', text: `Fixed ${turn % 3} failing cases in pkg-${turn % 7}; the rest pass.` },
      ],
    });
  }
  const instructions = Array.from(
    { length: 24 },
    (_, i) =>
      `## Section ${i + 1}\nYou are a coding agent running in a terminal. Keep going until the task is done. Use the shell tool to read files and run commands; prefer small, reviewable changes; never revert changes you did not make.`,
  ).join('\n\n');
  return JSON.stringify({
    model: 'gpt-5-codex',
    instructions,
    input,
    tools: [
      {
        type: 'function',
        name: 'shell',
        description: 'Runs a shell command and returns its output.',
        strict: false,
        parameters: {
          type: 'object',
          properties: {
            command: { type: 'array', items: { type: 'string' } },
            timeout_ms: { type: 'number' },
          },
          required: ['command'],
          additionalProperties: false,
        },
      },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '0199e0c1-5a7b-7c3d-9e4f-0a1b2c3d4e5f',
  });
}
