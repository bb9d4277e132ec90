/**
 * The notification outbox: what is owed to each receiver, and its delivery. Ids are hashes of
 * alert, kind and receiver, so re-evaluation never owes the same notification twice.
 */
import type { z } from "zod";
import type { AlertRow } from "../domain/alerts/alert-view.js";
import { AlertRowShape } from "./alert-state.repository.js";
import { jsonRows } from "./batch-writer.js";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, list, sql, type Sql } from "./sql.js";

export interface NotificationRow {
  notification_id: string;
  alert_id: string;
  kind: string;
  receiver: string;
  created_wall_ms: number;
  attempts: number;
  next_attempt_wall_ms: number;
  delivered_wall_ms: number;
  last_error: string;
  updated_wall_ms: number;
}

const NotificationRowShape = row({
  notification_id: str,
  alert_id: str,
  kind: str,
  receiver: str,
  created_wall_ms: int,
  attempts: int,
  next_attempt_wall_ms: int,
  delivered_wall_ms: int,
  last_error: str,
  updated_wall_ms: int,
}) satisfies z.ZodType<NotificationRow, unknown>;

export function alertOutboxRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;
  const alertRows = (query: Sql) => ch.rows(AlertRowShape, query);

  return {
    /** Of these notification ids, the ones already owed (delivered or not). */
    async knownNotifications(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await ch.rows(
        row({ notification_id: str }),
        sql`SELECT DISTINCT notification_id FROM ${t("alert_notifications")} WHERE notification_id IN ${list(ids)}`,
      );
      return new Set(rows.map((r) => r.notification_id));
    },

    async writeNotifications(rows: NotificationRow[]): Promise<void> {
      await ch.insertJsonEachRow(table("alert_notifications"), jsonRows(rows));
    },

    /**
     * The oldest due notifications of each receiver, at most `perReceiver` each (LIMIT BY), so a
     * receiver with a long backlog (one that keeps failing) never crowds the others out of a pass.
     * `maxReceivers` bounds the answer when notifications name receivers long since removed.
     */
    async dueNotifications(nowMs: number, perReceiver = 50, maxReceivers = 100): Promise<NotificationRow[]> {
      return ch.rows(
        NotificationRowShape,
        sql`
        SELECT * FROM ${t("alert_notifications")} FINAL
        WHERE delivered_wall_ms = 0 AND next_attempt_wall_ms <= ${nowMs}
        ORDER BY receiver, created_wall_ms, kind
        LIMIT ${perReceiver} BY receiver
        LIMIT ${perReceiver * maxReceivers}`,
      );
    },

    /**
     * Surfaced alerts that are resolved but were never owed their resolution: found through the
     * outbox rather than by when they changed, so an evaluator that died between storing an alert
     * and owing its notifications owes them whenever it comes back. Every surfaced alert is owed
     * its resolution at least on the Kafka receiver, so a missing row means it was never owed.
     */
    async resolvedNotOwed(limit = 1000): Promise<AlertRow[]> {
      return alertRows(sql`
        SELECT * FROM ${t("alerts_state")} FINAL
        WHERE disposition = 'surfaced' AND isNotNull(resolved_ms)
          AND alert_id NOT IN (SELECT alert_id FROM ${t("alert_notifications")} WHERE kind = 'resolved')
        ORDER BY updated_wall_ms LIMIT ${limit}`);
    },

    async notifications(alertId: string): Promise<NotificationRow[]> {
      return ch.rows(
        NotificationRowShape,
        sql`SELECT * FROM ${t("alert_notifications")} FINAL WHERE alert_id = ${alertId} ORDER BY created_wall_ms`,
      );
    },
  };
}
