import { defineConfig } from 'vitest/config';

// Two cores in CI: run test files on two forks; QEMU and gcc runs are the slow parts, so allow long tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one temporary directory for the whole run, removed at its end
    globalSetup: ['test/util/global-tmpdir.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
