/**
 * Retention per kind of data as ClickHouse TTLs (issue 15, item 9). The days come from the
 * configuration (HINDSIGHT_RETENTION_*), so they are applied with ALTER TABLE … MODIFY TTL after the
 * migrations rather than written into them; `retention_applied` remembers what each table has, so a
 * restart alters nothing unless the setting changed (each MODIFY TTL rewrites the expired parts).
 * Rows leave by the time they describe (event time, window start, an alert's last change), not by
 * when they arrived: a backfill older than the retention is dropped at the next merge.
 */
import type { Config } from "../config/env.js";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, raw, sql, typed, type Sql } from "./sql.js";

export type RetentionKind = keyof Config["retention"];

/** The tables each kind covers and the DateTime a row's age is measured from (trusted SQL text). */
export const RETENTION_TABLES: ReadonlyArray<{ table: string; kind: RetentionKind; time: string }> = [
  { table: "predictions", kind: "rawDays", time: "event_time" },
  { table: "labels", kind: "rawDays", time: "labeled_at" },
  { table: "predictions_by_time", kind: "rawDays", time: "event_time" },
  { table: "features_by_time", kind: "rawDays", time: "event_time" },
  { table: "predictions_by_request", kind: "rawDays", time: "event_time" },
  { table: "request_predictions_by_time", kind: "rawDays", time: "event_time" },
  { table: "labels_by_request", kind: "rawDays", time: "labeled_at" },
  // Rows counted per window: only of use while the raw events behind it can still be recomputed.
  { table: "window_rows", kind: "rawDays", time: "window_start" },
  { table: "labeled_predictions", kind: "joinedDays", time: "event_time" },
  { table: "window_volume", kind: "windowsDays", time: "window_start" },
  { table: "window_volume_cells", kind: "windowsDays", time: "window_start" },
  { table: "window_label_stats", kind: "windowsDays", time: "window_start" },
  { table: "window_label_cells", kind: "windowsDays", time: "window_start" },
  { table: "window_paired_stats", kind: "windowsDays", time: "window_start" },
  { table: "window_feature_summaries", kind: "windowsDays", time: "window_start" },
  { table: "window_drift", kind: "windowsDays", time: "window_start" },
  { table: "window_quality", kind: "windowsDays", time: "window_start" },
  { table: "window_slice_summaries", kind: "windowsDays", time: "window_start" },
  { table: "window_slice_drift", kind: "windowsDays", time: "window_start" },
  { table: "alerts_state", kind: "alertsDays", time: "toDateTime(intDiv(updated_wall_ms, 1000))" },
  { table: "alert_notifications", kind: "alertsDays", time: "toDateTime(intDiv(updated_wall_ms, 1000))" },
  { table: "alert_feedback", kind: "alertsDays", time: "toDateTime(intDiv(at_ms, 1000))" },
  { table: "rule_status", kind: "alertsDays", time: "toDateTime(intDiv(updated_wall_ms, 1000))" },
];

/** The TTL clause of one table (the days a typed parameter, which ClickHouse substitutes before storing the TTL). */
export function ttlStatement(database: string, table: string, time: string, days: number): Sql {
  const t = ident(`${database}.${table}`);
  if (days === 0) return sql`ALTER TABLE ${t} REMOVE TTL`;
  return sql`ALTER TABLE ${t} MODIFY TTL ${raw(time)} + toIntervalDay(${typed(days, "UInt32")})`;
}

/** Brings every table's TTL to the configured retention; returns the tables it altered. */
export async function applyRetention(ch: ClickHouse, retention: Config["retention"], nowMs = Date.now()): Promise<string[]> {
  const record = ident(`${ch.database}.retention_applied`);
  const rows = await ch.rows(
    row({ table_name: str, days: int }),
    sql`SELECT table_name, argMax(days, applied_at_ms) AS days FROM ${record} GROUP BY table_name`,
  );
  const applied = new Map(rows.map((r) => [r.table_name, r.days]));
  const altered: string[] = [];
  for (const { table, kind, time } of RETENTION_TABLES) {
    const days = retention[kind];
    // Never applied and 0: the table was created without a TTL, nothing to remove.
    if ((applied.get(table) ?? 0) === days && (applied.has(table) || days === 0)) continue;
    await ch.command(ttlStatement(ch.database, table, time, days));
    await ch.command(
      sql`INSERT INTO ${record} (table_name, days, applied_at_ms) VALUES (${table}, ${typed(days, "UInt32")}, ${typed(nowMs, "UInt64")})`,
    );
    altered.push(table);
  }
  return altered;
}
