import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.spec.ts", "test/**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration suites share one local stack; each uses its own topics, groups and keys, but
    // running them one file at a time keeps a 2-core machine's timings sane.
    fileParallelism: false,
    reporters: ["default"],
  },
});
