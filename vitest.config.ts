import { defineConfig } from 'vitest/config';

/**
 * `npm test`: everything that needs only Node.js (unit, fixture, golden and end-to-end tests with
 * the CLI as a process). Tests that need Debian's `prometheus` package (promtool, a real
 * Prometheus server) live in test/prometheus/ and run with `npm run test:prometheus`.
 * Long fuzz and soak runs are opt-in: LLM_COST_LONG_TESTS=1.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/prometheus/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
