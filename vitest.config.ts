import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // End-to-end suites spawn the compiled CLI; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
