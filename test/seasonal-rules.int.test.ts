/**
 * Seasonal baselines end to end: four weeks of hourly traffic with a nightly and weekend cycle in
 * ClickHouse's window tables, judged by the real evaluator. A plain adaptive rule pages on the
 * cycle itself; the same rule with `seasonality: weekly` pages once, on the one hour that fell
 * from its usual level for that hour of the week.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateRuleFile } from "../schemas/rules.js";
import { alertsRepository } from "../services/common/clickhouse/alerts.repository.js";
import { metricsRepository } from "../services/common/clickhouse/metrics.repository.js";
import { createProducer } from "../services/common/kafka/client.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createAlerting } from "../services/evaluator/service.js";
import { createTestStack, type TestStack } from "./helpers/harness.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Predictions per hour: 1,000 on weekdays from 08:00 to 20:00 UTC, 100 at night and at the weekend (epoch day 0 was a Thursday). */
function traffic(t: number): number {
  const day = Math.floor(t / DAY) % 7;
  const hour = Math.floor(t / HOUR) % 24;
  return day === 2 || day === 3 || hour < 8 || hour >= 20 ? 100 : 1000;
}

describe("seasonal baselines", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_WINDOWS: "3600" });
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  });

  it("page on the hour that broke its weekly pattern, not on nights and weekends", async () => {
    const db = stack.config.clickhouse.database;
    await metricsRepository(stack.clickhouse).writeWindowSizes([3600]);
    // Four whole weeks of hours ending before the current hour; the last week's first busy hour is 80 % down.
    const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
    const start = end - 4 * WEEK;
    const weekdayMorning = (t: number) => traffic(t) === 1000 && traffic(t - HOUR) === 100;
    let anomaly = start + 3 * WEEK;
    while (!weekdayMorning(anomaly)) anomaly += HOUR;
    const rows: string[] = [];
    for (let t = start; t < end; t += HOUR) {
      rows.push(
        JSON.stringify({
          model_id: "shop",
          model_version: "v1",
          stage: "production",
          window_start: Math.floor(t / 1000),
          slice_key: "",
          slice_value: "",
          predictions: t === anomaly ? 200 : traffic(t),
          expected_correct: 0,
          expected_n: 0,
          computed_at_ms: 1,
        }),
      );
    }
    await stack.clickhouse.insertJsonEachRow(`${db}.window_volume`, [rows.join("\n")]);

    const repo = alertsRepository(stack.clickhouse);
    const adaptive = { kind: "adaptive", metric: "predictions", window: "1h", k: 4, min_history: 3, target: { model: "shop" } };
    await repo.applyRuleFile(
      validateRuleFile({
        rules: [
          { id: "plain", ...adaptive, history_windows: 48 },
          { id: "weekly", ...adaptive, history_windows: 4, seasonality: "weekly" },
        ],
      }),
      "test",
      Date.now(),
    );
    const producer = await createProducer(stack.kafka);
    try {
      const alerting = createAlerting(stack.config, { clickhouse: stack.clickhouse, producer, logger: createLogger("test", "warn") });
      await alerting.evaluator.evaluateOnce(true);
    } finally {
      await producer.disconnect();
    }
    const alerts = await repo.alerts({ status: "all", limit: 1000 });
    const weekly = alerts.filter((a) => a.rule_id === "weekly");
    expect(weekly.map((a) => a.started_ms)).toEqual([anomaly]);
    expect(weekly[0]!.resolved_ms).not.toBeNull();
    // The plain band pages on the cycle itself: mornings, evenings, weekends.
    expect(alerts.filter((a) => a.rule_id === "plain").length).toBeGreaterThan(3);
  }, 120_000);
});
