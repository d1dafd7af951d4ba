import { defineConfig } from "vitest/config";

// Suites by purpose (`npm run test:unit|test:integration|test:chaos`; `make test` runs all three):
// - unit: every *.spec.ts beside its source; no stack, no dist/, seconds.
// - integration: test/**/*.test.ts against the running local stack (compiled services from dist/).
// - chaos: kill -9 and broker-restart tests, the slowest and the most sensitive to machine load.
const CHAOS = [
  "test/**/*-crash*.test.ts",
  "test/**/*-chaos*.test.ts",
  // Not named for it, but it freezes the timer (SIGSTOP) under a large backlog.
  "test/integration/transactions-lag.test.ts",
];
const NOT_SOURCES = ["node_modules/**", "dist/**", ".stack/**", ".tools/**"];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration suites share one local stack; each uses its own topics, groups and keys, but
    // running them one file at a time keeps a 2-core machine's timings sane.
    fileParallelism: false,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        // Specs share nothing (no stack): files may run side by side.
        test: {
          name: "unit",
          include: ["**/*.spec.ts"],
          exclude: NOT_SOURCES,
          testTimeout: 20_000,
          fileParallelism: true,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...NOT_SOURCES, ...CHAOS],
          globalSetup: ["test/helpers/dist-fresh.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "chaos",
          include: CHAOS,
          exclude: NOT_SOURCES,
          globalSetup: ["test/helpers/dist-fresh.ts"],
        },
      },
    ],
  },
});
