import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Shared suites (*.case.test.ts) are run by each implementation's own test file.
    exclude: ['**/*.case.test.ts', 'node_modules/**', 'dist/**'],
    // Two test files at once, on CI's 2 cores (vitest's own default there is one): the clean-clone run took 761 s of
    // tests against 1,116 s one at a time (2026-12-07), which left CI under a minute of its 20. Every test is written
    // for a busy machine (docs/testing.md).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a page or a server to catch up; its 1 s default failed the dashboard tests whenever the
    // 2-core machine was busy (the page updated after ~1-2 s). Waiting longer only delays a real failure.
    expect: { poll: { timeout: 15_000 } },
  },
});
