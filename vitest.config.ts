import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // Two cores here: more workers only thrash. Kernel/netns tests serialise themselves through a lock file.
    maxWorkers: 2,
    testTimeout: 60_000,
    // A kernel/netns suite's beforeAll waits for the cross-file netns lock (test/hash/netns.ts): with a dozen such
    // files in one run that wait is the other suites' run time, so hooks get as long as the lock allows.
    hookTimeout: 900_000,
  },
});
