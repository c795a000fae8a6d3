import { defineConfig } from 'vitest/config';

/** `npm run test:prometheus`: tests against Debian's promtool and Prometheus server. */
export default defineConfig({
  test: {
    include: ['test/prometheus/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
