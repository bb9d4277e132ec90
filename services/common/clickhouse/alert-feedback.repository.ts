/** People's answers to alerts, and alerts with their latest answer: the suppressor's history. */
import type { z } from "zod";
import { alertColumns } from "./alert-state.repository.js";
import type { AlertRow } from "../domain/alerts/alert-view.js";
import { jsonRows } from "./batch-writer.js";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, list, sql } from "./sql.js";

export interface FeedbackRow {
  alert_id: string;
  action: string;
  comment: string;
  source: string;
  at_ms: number;
}

const FeedbackRowShape = row({ alert_id: str, action: str, comment: str, source: str, at_ms: int }) satisfies z.ZodType<
  FeedbackRow,
  unknown
>;

/** An alert with its latest feedback ('' and 0 when it has none). */
const HistoryRow = row({ ...alertColumns, latest_action: str.nullable(), latest_action_ms: int.nullable() }).transform(
  ({ latest_action, latest_action_ms, ...alert }) => ({ ...alert, action: latest_action ?? "", action_ms: latest_action_ms ?? 0 }),
);

export function alertFeedbackRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;

  return {
    async addFeedback(row: FeedbackRow): Promise<void> {
      await ch.insertJsonEachRow(table("alert_feedback"), jsonRows([row]));
    },

    async feedback(alertIds: string[]): Promise<FeedbackRow[]> {
      if (alertIds.length === 0) return [];
      return ch.rows(FeedbackRowShape, sql`SELECT * FROM ${t("alert_feedback")} WHERE alert_id IN ${list(alertIds)} ORDER BY at_ms`);
    },

    /** Alerts first seen since `fromMs`, with their latest feedback: the suppressor's history. */
    async history(fromMs: number): Promise<Array<AlertRow & { action: string; action_ms: number }>> {
      return ch.rows(
        HistoryRow,
        sql`
        SELECT * FROM (SELECT * FROM ${t("alerts_state")} FINAL WHERE first_seen_wall_ms >= ${fromMs}) AS alert_rows
        ANY LEFT JOIN (SELECT alert_id, argMax(action, at_ms) AS latest_action, max(at_ms) AS latest_action_ms FROM ${t("alert_feedback")} GROUP BY alert_id) AS latest_feedback
        USING (alert_id)
        ORDER BY first_seen_wall_ms`,
      );
    },
  };
}
