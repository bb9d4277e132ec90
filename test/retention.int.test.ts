/**
 * Retention as ClickHouse TTLs (issue 15, item 9) on the real ClickHouse: the configured days land
 * in every covered table's TTL at migrate time, expired rows leave at the next merge, an unchanged
 * setting alters nothing on restart, 0 removes the TTL, and raw events may not expire before late
 * labels can join them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRetention, RETENTION_TABLES } from "../services/common/clickhouse/retention.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { ConfigError, loadConfig } from "../services/common/config/env.js";
import { createTestStack, type TestStack } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const DAYS = { rawDays: 40, joinedDays: 50, windowsDays: 60, alertsDays: 70 } as const;

describe("retention", () => {
  let stack: TestStack;
  const ttlOf = async (table: string) => {
    const [row] = await stack.clickhouse.rows(
      anyRow<{ engine_full: string }>(),
      sql`SELECT engine_full FROM system.tables WHERE database = ${stack.config.clickhouse.database} AND name = ${table}`,
    );
    return /\bTTL (.*?)(?: SETTINGS|$)/.exec(row!.engine_full)?.[1] ?? null;
  };
  const t = (name: string) => ident(`${stack.config.clickhouse.database}.${name}`);

  beforeAll(async () => {
    stack = await createTestStack({
      HINDSIGHT_RETENTION_RAW_DAYS: "40",
      HINDSIGHT_RETENTION_JOINED_DAYS: "50",
      HINDSIGHT_RETENTION_WINDOWS_DAYS: "60",
      HINDSIGHT_RETENTION_ALERTS_DAYS: "70",
    });
  });
  afterAll(async () => stack?.cleanup());

  it("puts the configured days in every covered table's TTL, and expired rows leave at the next merge", async () => {
    // The days went as a typed parameter, which ClickHouse stores substituted (as a cast constant).
    const days = (n: number) => `toIntervalDay(_CAST(${n}, 'UInt32'))`;
    for (const { table, kind, time } of RETENTION_TABLES) expect(await ttlOf(table), table).toBe(`${time} + ${days(DAYS[kind])}`);

    const now = Date.now();
    const row = (id: string, ms: number) =>
      JSON.stringify({
        prediction_id: id,
        model_id: "m",
        model_version: "v",
        stage: "s",
        event_time: ms / 1000,
        schema_id: 1,
        kafka_partition: 0,
        kafka_offset: 0,
      });
    await stack.clickhouse.insertJsonEachRow(`${stack.config.clickhouse.database}.predictions`, [
      [row("old", now - 41 * 86_400_000), row("kept", now - 39 * 86_400_000)].join("\n"),
    ]);
    await stack.clickhouse.command(sql`OPTIMIZE TABLE ${t("predictions")} FINAL`);
    await stack.clickhouse.command(sql`OPTIMIZE TABLE ${t("predictions_by_time")} FINAL`);
    for (const table of ["predictions", "predictions_by_time"]) {
      const ids = await stack.clickhouse.rows(
        anyRow<{ prediction_id: string }>(),
        sql`SELECT prediction_id FROM ${t(table)} ORDER BY prediction_id`,
      );
      expect(
        ids.map((r) => r.prediction_id),
        table,
      ).toEqual(["kept"]);
    }
  });

  it("alters nothing when the setting is unchanged, and removes the TTL for 0", async () => {
    expect(await applyRetention(stack.clickhouse, DAYS)).toEqual([]);
    const forever = await applyRetention(stack.clickhouse, { ...DAYS, rawDays: 0 });
    // Every raw-events table, in RETENTION_TABLES' order.
    expect(forever).toEqual(RETENTION_TABLES.filter((r) => r.kind === "rawDays").map((r) => r.table));
    expect(forever).toEqual(
      expect.arrayContaining(["predictions", "labels", "predictions_by_request", "labels_by_request", "window_rows"]),
    );
    expect(await ttlOf("predictions")).toBeNull();
    expect(await ttlOf("labeled_predictions")).toBe("event_time + toIntervalDay(_CAST(50, 'UInt32'))");
    expect(await applyRetention(stack.clickhouse, { ...DAYS, rawDays: 0 })).toEqual([]);
  });

  it("documents its defaults and refuses raw events that would expire before late labels join them", () => {
    expect(loadConfig({}).retention).toEqual({ rawDays: 90, joinedDays: 180, windowsDays: 400, alertsDays: 365 });
    expect(() => loadConfig({ HINDSIGHT_RETENTION_RAW_DAYS: "20" })).toThrow(ConfigError);
    expect(loadConfig({ HINDSIGHT_RETENTION_RAW_DAYS: "0" }).retention.rawDays).toBe(0);
  });
});
