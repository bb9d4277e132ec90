import { defineConfig } from "vitest/config";

// Unit tests (*.test.ts next to the code) need nothing; integration tests (*.int.test.ts) run
// one file at a time against the real Kafka and ClickHouse that test/global-setup.ts provides.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["services/**/*.test.ts", "schemas/**/*.test.ts", "infra/**/*.test.ts", "dashboard/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          // Unit tests share the two cores with the integration project's Kafka, ClickHouse and
          // browser: a replay that takes 4 s alone must not fail on vitest's 5 s default.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.int.test.ts", "services/**/*.int.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        // The fault suite (test/faults/): short sizes here, the sizes with HINDSIGHT_FAULTS=full.
        test: {
          name: "faults",
          include: ["test/faults/**/*.fault.test.ts"],
          globalSetup: ["test/global-setup.ts", "test/faults/summary.ts"],
          fileParallelism: false,
          testTimeout: 3_600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
