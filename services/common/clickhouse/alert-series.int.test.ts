/**
 * The evaluator's change marker against real ClickHouse: it must move on every insert into the
 * window tables, including a slow recomputation whose rows are stamped with an earlier
 * `computed_at_ms` than rows already there (which `max(computed_at_ms)` never noticed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../../../test/helpers/harness.js";
import { alertSeriesRepository } from "./alert-series.repository.js";
import { ident, sql } from "./sql.js";

describe("alert series change marker", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  });

  const volume = (windowStart: string, computedAtMs: number) =>
    stack.clickhouse.insertJsonEachRow(`${stack.config.clickhouse.database}.window_volume`, [
      JSON.stringify({
        model_id: "fraud",
        model_version: "v3",
        stage: "production",
        window_start: windowStart,
        slice_key: "",
        slice_value: "",
        predictions: 10,
        expected_correct: 9,
        expected_n: 10,
        computed_at_ms: computedAtMs,
      }),
    ]);

  it("moves forward on every insert, even of rows stamped before the latest ones, and not on merges", async () => {
    const series = alertSeriesRepository(stack.clickhouse);
    const seen = [await series.marker()];
    await volume("2026-12-05 16:00:00", 2_000);
    seen.push(await series.marker());
    // A recomputation that started earlier lands later, in the same window and in another month.
    await volume("2026-12-05 16:05:00", 1_000);
    seen.push(await series.marker());
    await volume("2026-11-05 16:05:00", 500);
    seen.push(await series.marker());
    const numbers = seen.map(Number);
    expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).toBe(true);
    await stack.clickhouse.command(sql`OPTIMIZE TABLE ${ident(`${stack.config.clickhouse.database}.window_volume`)} FINAL`);
    expect(await series.marker()).toBe(seen.at(-1));
  });
});
