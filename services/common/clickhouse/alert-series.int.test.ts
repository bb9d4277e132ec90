/**
 * The series the evaluator judges, against real ClickHouse: the change marker must move on every
 * insert into the window tables, including a slow recomputation whose rows are stamped with an
 * earlier `computed_at_ms` than rows already there (which `max(computed_at_ms)` never noticed);
 * a fairness rule's series compares each group of a key with the most selected one.
 */
import { describe, expect, it } from "vitest";
import { useTestStack } from "../../../test/helpers/harness.js";
import { validateRuleFile } from "../../../schemas/rules.js";
import { alertSeriesRepository } from "./alert-series.repository.js";
import { metricsRepository } from "./metrics.repository.js";
import { ident, sql } from "./sql.js";

describe("alert series change marker", () => {
  const stack = useTestStack();

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

  it("gives a fairness rule each group's selection rate over the most selected group's, per window", async () => {
    const db = stack.config.clickhouse.database;
    await metricsRepository(stack.clickhouse).writeWindowSizes([300]);
    await metricsRepository(stack.clickhouse).saveModelSpec(
      { modelId: "loans", task: "binary", positiveClass: "approve", threshold: 0.5, sliceKeys: ["gender"], declared: true },
      1,
    );
    // Window 1: f selects 50 of 100, m 35 of 100 (ratio 0.7). Window 2: nobody is selected (ratio 1).
    const groups = [
      ["2026-12-05 10:00:00", "f", { tp: 40, fp: 10, fn: 5, tn: 45 }],
      ["2026-12-05 10:00:00", "m", { tp: 30, fp: 5, fn: 20, tn: 45 }],
      ["2026-12-05 10:05:00", "f", { tp: 0, fp: 0, fn: 10, tn: 10 }],
      ["2026-12-05 10:05:00", "m", { tp: 0, fp: 0, fn: 5, tn: 5 }],
    ] as const;
    for (const [windowStart, group, c] of groups) {
      const n = c.tp + c.fp + c.fn + c.tn;
      const key = {
        model_id: "loans",
        model_version: "v1",
        stage: "production",
        window_start: windowStart,
        slice_key: "gender",
        slice_value: group,
      };
      await stack.clickhouse.insertJsonEachRow(`${db}.window_volume`, [
        JSON.stringify({ ...key, predictions: n, expected_correct: 0, expected_n: 0, computed_at_ms: 1 }),
      ]);
      await stack.clickhouse.insertJsonEachRow(`${db}.window_label_stats`, [
        JSON.stringify({ ...key, labeled: n, class_n: n, correct: c.tp + c.tn, ...c, computed_at_ms: 1 }),
      ]);
    }
    const [rule] = validateRuleFile({
      rules: [
        {
          id: "four-fifths",
          kind: "threshold",
          metric: "selection_rate_ratio",
          op: "<",
          threshold: 0.8,
          window: "5m",
          target: { model: "loans", slice: "gender=*" },
        },
      ],
    }).rules;
    const rows = await alertSeriesRepository(stack.clickhouse).performance(rule!, 300, 0);
    const byGroup = rows.map((r) => [r.window_start_ms, r.slice, r.value, r.n]);
    const w1 = Date.parse("2026-12-05T10:00:00Z");
    const w2 = Date.parse("2026-12-05T10:05:00Z");
    expect(byGroup).toEqual(
      expect.arrayContaining([
        [w1, "gender=f", 1, 100],
        [w1, "gender=m", expect.closeTo(0.35 / 0.5, 12), 100],
        [w2, "gender=f", 1, 20],
        [w2, "gender=m", 1, 10],
      ]),
    );
    expect(rows).toHaveLength(4);
  });
});
