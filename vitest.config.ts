import { defineConfig } from 'vitest/config';

// One test runner for the whole repository: every package's test/ folder,
// the repository checks in scripts/test, and later the browser tests in e2e/.
export default defineConfig({
  test: {
    include: ['*/test/**/*.test.ts', 'scripts/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Child processes load the agent's compiled JavaScript and collectors serve the dashboard's build: build both first.
    // RabbitMQ and PostgreSQL must answer: installed and started when they do not.
    globalSetup: ['scripts/test/buildAgent.ts', 'scripts/test/buildDashboard.ts', 'scripts/test/ensureBackingServices.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start real collectors and databases; two cores run two files at once.
    maxWorkers: 2,
  },
});
