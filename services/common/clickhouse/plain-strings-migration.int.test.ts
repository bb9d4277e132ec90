/**
 * Migration 022 on a database that already holds events, against real ClickHouse: the columns of
 * the tables written per event become plain String, and every value written before the change
 * reads back the same after it, through the raw tables and the views that copied them.
 */
import { describe, expect, it } from "vitest";
import { useTestStack } from "../../../test/helpers/harness.js";
import { predictionRow } from "../domain/event-rows.js";
import { createClickHouse } from "./client.js";
import { loadMigrations, migrate } from "./migrations.js";
import { PREDICTION_LAYOUT } from "./raw-event-encoding.js";
import { encodeRows } from "./row-binary.js";
import { anyRow } from "./row-schema.js";
import { ident, sql } from "./sql.js";

describe("migration 022: plain strings in the tables written per event", () => {
  const stack = useTestStack();

  it("changes the types and keeps every stored value", async () => {
    const database = `${stack.config.clickhouse.database}_upgrade`;
    const ch = createClickHouse({ ...stack.config.clickhouse, database });
    try {
      const all = loadMigrations(database);
      await migrate(
        ch,
        all.filter((m) => m.version < 22),
      );
      const rows = Array.from({ length: 50 }, (_, i) =>
        predictionRow(
          {
            prediction_id: `p-${i}`,
            model_id: i % 2 ? "fraud" : "churn-ü",
            model_version: `v${i % 3}`,
            stage: "production",
            timestamp: Date.UTC(2026, 11, 1) + i * 1000,
            features: { country: ["DE", "FR", ""][i % 3]!, amount: i },
            prediction: { label: i % 5 ? "fraud" : null, score: i / 50, scores: null, value: null },
            segments: { country: ["DE", "FR", "é☃"][i % 3]! },
            received_at: null,
            request_id: i % 4 ? `r-${i}` : null,
          },
          { partition: 0, offset: i, schemaId: 1, ingestedAtS: 1_800_000_000 },
        ),
      );
      await ch.insertRowBinary(`${database}.predictions`, PREDICTION_LAYOUT.columns, [encodeRows(rows, PREDICTION_LAYOUT)]);
      const tables = ["predictions", "predictions_by_time", "features_by_time", "predictions_by_request", "request_predictions_by_time"];
      const read = () =>
        Promise.all(
          tables.map((table) =>
            ch.rows(anyRow<Record<string, unknown>>(), sql`SELECT * FROM ${ident(`${database}.${table}`)} ORDER BY prediction_id`),
          ),
        );
      const before = await read();
      expect(before.map((r) => r.length)).toEqual([50, 50, 50, 37, 37]);

      // 022 and every later migration (they only add tables).
      const later = all.map((m) => m.name).filter((name) => name >= "022");
      expect((await migrate(ch, all)).applied).toEqual(later);
      expect(later[0]).toBe("022_plain_strings_for_ingestion");
      expect(await read()).toEqual(before);
      const types = await ch.rows(
        anyRow<{ table: string; name: string; type: string }>(),
        sql`SELECT table, name, type FROM system.columns WHERE database = ${database}
            AND table IN ('predictions', 'labels', 'predictions_by_time', 'features_by_time', 'labeled_predictions',
                          'predictions_by_request', 'labels_by_request', 'request_predictions_by_time')
            AND type LIKE '%LowCardinality%'`,
      );
      expect(types).toEqual([]);
    } finally {
      await ch.command(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
      await ch.close();
    }
  });
});
