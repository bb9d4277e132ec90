/** Alerts, one replacing row each (read with FINAL): written by the evaluator, read by the API. */
import { z } from "zod";
import type { AlertRow } from "../domain/alerts/alert-view.js";
import { jsonRows } from "./batch-writer.js";
import type { ClickHouse } from "./client.js";
import { float, int, row, str } from "./row-schema.js";
import { ident, join, list, sql, type Sql } from "./sql.js";

export type { AlertRow };

export interface AlertQuery {
  status?: "firing" | "resolved" | "suppressed" | "held" | "open" | "all" | undefined;
  modelIds?: string[] | "all" | undefined;
  model?: string | undefined;
  fromMs?: number | undefined;
  limit?: number | undefined;
}

/** A Float64 the evaluator computed: nan and inf come back as null in JSON, and are read as NaN. */
const measured = float.nullable().transform((v) => v ?? Number.NaN);

export const alertColumns = {
  alert_id: str,
  fingerprint: str,
  rule_id: str,
  rule_version: int,
  rule_kind: str,
  rule_name: str,
  severity: z.enum(["info", "warning", "critical"]),
  model_id: str,
  model_version: str,
  stage: str,
  slice: str,
  metric: str,
  feature: str,
  window_seconds: int,
  started_ms: int,
  fired_ms: int,
  last_breach_ms: int,
  resolved_ms: int.nullable(),
  value: measured,
  threshold: measured,
  deviation: measured,
  sample_size: int,
  worst_value: measured,
  summary: str,
  disposition: z.enum(["surfaced", "suppressed", "held"]),
  parent_id: str,
  group_reason: str,
  suppress_score: float.nullable(),
  suppressor_version: str,
  suppress_reason: str,
  first_seen_wall_ms: int,
  updated_wall_ms: int,
};
export const AlertRowShape = row(alertColumns) satisfies z.ZodType<AlertRow, unknown>;

export function alertStateRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;
  const alertRows = (query: Sql) => ch.rows(AlertRowShape, query);

  return {
    async alertsOfRule(ruleId: string): Promise<AlertRow[]> {
      return alertRows(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE rule_id = ${ruleId}`);
    },

    async openAlerts(): Promise<AlertRow[]> {
      return alertRows(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE isNull(resolved_ms)`);
    },

    async alerts(q: AlertQuery): Promise<AlertRow[]> {
      const where: Sql[] = [sql`1`];
      switch (q.status ?? "all") {
        case "firing":
          where.push(sql`isNull(resolved_ms) AND disposition = 'surfaced'`);
          break;
        case "open":
          where.push(sql`isNull(resolved_ms)`);
          break;
        case "resolved":
          where.push(sql`isNotNull(resolved_ms)`);
          break;
        case "suppressed":
          where.push(sql`disposition = 'suppressed'`);
          break;
        case "held":
          where.push(sql`disposition = 'held'`);
          break;
      }
      if (q.model !== undefined) where.push(sql`model_id = ${q.model}`);
      if (Array.isArray(q.modelIds)) where.push(q.modelIds.length ? sql`model_id IN ${list(q.modelIds)}` : sql`0`);
      if (q.fromMs !== undefined) where.push(sql`first_seen_wall_ms >= ${q.fromMs}`);
      return alertRows(sql`
        SELECT * FROM ${t("alerts_state")} FINAL WHERE ${join(where, " AND ")}
        ORDER BY first_seen_wall_ms DESC, started_ms DESC LIMIT ${q.limit ?? 200}`);
    },

    async recentlyUpdated(sinceWallMs: number): Promise<AlertRow[]> {
      return alertRows(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE updated_wall_ms >= ${sinceWallMs}`);
    },

    async alert(id: string): Promise<AlertRow | undefined> {
      const [r] = await alertRows(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE alert_id = ${id}`);
      return r;
    },

    async children(id: string): Promise<AlertRow[]> {
      return alertRows(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE parent_id = ${id} ORDER BY started_ms`);
    },

    async writeAlerts(rows: AlertRow[]): Promise<void> {
      await ch.insertJsonEachRow(table("alerts_state"), jsonRows(rows));
    },
  };
}
