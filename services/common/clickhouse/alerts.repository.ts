/**
 * Storage of the alerting side: rule versions, alerts (one replacing row each), the
 * notification outbox, feedback, rule status and suppressor model versions.
 */
import { RuleSchema, RuleFileSchema, type Receiver, type Rule, type RuleFile } from "../../../schemas/rules.js";
import type { AlertRow } from "../domain/alerts/alert-view.js";
import { scopeRuleFile, type StoredReceiver } from "../domain/alerts/rule-scope.js";
import type { ClickHouse } from "./client.js";
import { ident, join, list, sql, type Sql } from "./sql.js";

export interface StoredRule {
  rule: Rule;
  version: number;
  appliedAtMs: number;
}

export type { AlertRow };
export type Settings = RuleFile["settings"];
export const DEFAULT_SETTINGS: Settings = RuleFileSchema.parse({ rules: [] }).settings;

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

export interface FeedbackRow {
  alert_id: string;
  action: string;
  comment: string;
  source: string;
  at_ms: number;
}

export interface RuleStatusRow {
  rule_id: string;
  fingerprint: string;
  model_id: string;
  model_version: string;
  slice: string;
  metric: string;
  state: string;
  reason: string;
  window_start_ms: number;
  value: number | null;
  updated_wall_ms: number;
}

export interface SuppressorModelRow {
  version: string;
  origin: "trained" | "imported";
  trained_at_ms: number;
  threshold: number;
  model: Uint8Array;
  report: Record<string, unknown>;
}

export interface AlertQuery {
  status?: "firing" | "resolved" | "suppressed" | "held" | "open" | "all" | undefined;
  modelIds?: string[] | "all" | undefined;
  model?: string | undefined;
  fromMs?: number | undefined;
  limit?: number | undefined;
}

const NUMERIC_ALERT = [
  "rule_version",
  "window_seconds",
  "started_ms",
  "fired_ms",
  "last_breach_ms",
  "sample_size",
  "first_seen_wall_ms",
  "updated_wall_ms",
] as const;
const NUMERIC_NOTIFICATION = ["created_wall_ms", "attempts", "next_attempt_wall_ms", "delivered_wall_ms", "updated_wall_ms"] as const;

const jsonRows = (rows: readonly object[]) => (rows.length ? [rows.map((r) => JSON.stringify(r)).join("\n")] : []);

export function alertsRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;

  function alertFromRow(r: Record<string, unknown>): AlertRow {
    const row = r as unknown as AlertRow;
    for (const c of NUMERIC_ALERT) (row as unknown as Record<string, number>)[c] = Number(r[c]);
    row.resolved_ms = r.resolved_ms === null ? null : Number(r.resolved_ms);
    row.suppress_score = r.suppress_score === null ? null : Number(r.suppress_score);
    return row;
  }

  async function latestRuleVersions(): Promise<
    Array<{ rule_id: string; version: number; spec: string; deleted: number; applied_at_ms: number }>
  > {
    const rows = await ch.rows<{
      rule_id: string;
      latest: number;
      latest_spec: string;
      latest_deleted: number;
      latest_applied: string;
    }>(sql`
      SELECT rule_id, max(version) AS latest, argMax(spec, version) AS latest_spec, argMax(deleted, version) AS latest_deleted, argMax(applied_at_ms, version) AS latest_applied
      FROM ${t("alert_rules")} GROUP BY rule_id ORDER BY rule_id`);
    return rows.map((r) => ({
      rule_id: r.rule_id,
      version: Number(r.latest),
      spec: r.latest_spec,
      deleted: Number(r.latest_deleted),
      applied_at_ms: Number(r.latest_applied),
    }));
  }

  return {
    /**
     * Applies a whole rules file: a new version for each new or changed rule, a deleted version
     * for each rule no longer in it; unchanged rules keep their version.
     */
    async applyRuleFile(
      file: RuleFile,
      source: string,
      nowMs: number,
      /** A model-limited token's file: it replaces only these models' rules (see rule-scope.ts); throws ScopeError. */
      scope?: { models: readonly string[]; hasSettings: boolean },
    ): Promise<{ created: string[]; changed: string[]; deleted: string[]; unchanged: string[] }> {
      const latest = new Map((await latestRuleVersions()).map((r) => [r.rule_id, r]));
      let receivers: StoredReceiver[] = file.receivers;
      let settings: Settings = file.settings;
      let replaces: Set<string> | undefined;
      if (scope) {
        const active = [...latest.values()].filter((r) => !r.deleted).map((r) => RuleSchema.parse(JSON.parse(r.spec)));
        const stored = await this.settings();
        const scoped = scopeRuleFile(file, scope.hasSettings, active, stored.receivers, scope.models);
        receivers = scoped.receivers;
        settings = stored.settings;
        replaces = scoped.replaces;
      }
      const out = { created: [] as string[], changed: [] as string[], deleted: [] as string[], unchanged: [] as string[] };
      const rows: object[] = [];
      for (const rule of file.rules) {
        const spec = JSON.stringify(rule);
        const prev = latest.get(rule.id);
        if (prev && !prev.deleted && prev.spec === spec) {
          out.unchanged.push(rule.id);
          continue;
        }
        (prev && !prev.deleted ? out.changed : out.created).push(rule.id);
        rows.push({ rule_id: rule.id, version: (prev?.version ?? 0) + 1, spec, deleted: 0, source, applied_at_ms: nowMs });
      }
      const inFile = new Set(file.rules.map((r) => r.id));
      for (const prev of latest.values()) {
        if (prev.deleted || inFile.has(prev.rule_id) || (replaces && !replaces.has(prev.rule_id))) continue;
        out.deleted.push(prev.rule_id);
        rows.push({ rule_id: prev.rule_id, version: prev.version + 1, spec: prev.spec, deleted: 1, source, applied_at_ms: nowMs });
      }
      const settingsVersion = await ch.rows<{ v: string }>(sql`SELECT max(version) AS v FROM ${t("alert_settings")}`);
      await ch.insertJsonEachRow(
        table("alert_settings"),
        jsonRows([
          {
            version: Number(settingsVersion[0]?.v ?? 0) + 1,
            receivers: JSON.stringify(receivers),
            settings: JSON.stringify(settings),
            applied_at_ms: nowMs,
          },
        ]),
      );
      await ch.insertJsonEachRow(table("alert_rules"), jsonRows(rows));
      return out;
    },

    async activeRules(): Promise<StoredRule[]> {
      return (await latestRuleVersions())
        .filter((r) => !r.deleted)
        .map((r) => ({ rule: RuleSchema.parse(JSON.parse(r.spec)), version: r.version, appliedAtMs: r.applied_at_ms }));
    },

    async ruleVersions(
      ruleId: string,
    ): Promise<Array<{ version: number; rule: Rule; deleted: boolean; source: string; applied_at_ms: number }>> {
      const rows = await ch.rows<{ version: number; spec: string; deleted: number; source: string; applied_at_ms: string }>(sql`
        SELECT version, spec, deleted, source, applied_at_ms FROM ${t("alert_rules")} FINAL WHERE rule_id = ${ruleId} ORDER BY version`);
      return rows.map((r) => ({
        version: Number(r.version),
        rule: JSON.parse(r.spec) as Rule,
        deleted: Number(r.deleted) === 1,
        source: r.source,
        applied_at_ms: Number(r.applied_at_ms),
      }));
    },

    /** Receivers with `models` belong to those models (rule-scope.ts); the others are shared. */
    async settings(): Promise<{ receivers: StoredReceiver[]; settings: Settings }> {
      const rows = await ch.rows<{ latest_receivers: string; latest_settings: string }>(sql`
        SELECT argMax(receivers, version) AS latest_receivers, argMax(settings, version) AS latest_settings, count() AS n FROM ${t("alert_settings")} HAVING n > 0`);
      const r = rows[0];
      return r
        ? { receivers: JSON.parse(r.latest_receivers) as Receiver[], settings: JSON.parse(r.latest_settings) as Settings }
        : { receivers: [], settings: DEFAULT_SETTINGS };
    },

    async alertsOfRule(ruleId: string): Promise<AlertRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE rule_id = ${ruleId}`);
      return rows.map(alertFromRow);
    },

    async openAlerts(): Promise<AlertRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE isNull(resolved_ms)`);
      return rows.map(alertFromRow);
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
      const rows = await ch.rows<Record<string, unknown>>(sql`
        SELECT * FROM ${t("alerts_state")} FINAL WHERE ${join(where, " AND ")}
        ORDER BY first_seen_wall_ms DESC, started_ms DESC LIMIT ${q.limit ?? 200}`);
      return rows.map(alertFromRow);
    },

    async recentlyUpdated(sinceWallMs: number): Promise<AlertRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(
        sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE updated_wall_ms >= ${sinceWallMs}`,
      );
      return rows.map(alertFromRow);
    },

    async alert(id: string): Promise<AlertRow | undefined> {
      const rows = await ch.rows<Record<string, unknown>>(sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE alert_id = ${id}`);
      return rows[0] ? alertFromRow(rows[0]) : undefined;
    },

    async children(id: string): Promise<AlertRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(
        sql`SELECT * FROM ${t("alerts_state")} FINAL WHERE parent_id = ${id} ORDER BY started_ms`,
      );
      return rows.map(alertFromRow);
    },

    async writeAlerts(rows: AlertRow[]): Promise<void> {
      await ch.insertJsonEachRow(table("alerts_state"), jsonRows(rows));
    },

    /** Of these notification ids, the ones already owed (delivered or not). */
    async knownNotifications(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await ch.rows<{ notification_id: string }>(
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
      const rows = await ch.rows<Record<string, unknown>>(sql`
        SELECT * FROM ${t("alert_notifications")} FINAL
        WHERE delivered_wall_ms = 0 AND next_attempt_wall_ms <= ${nowMs}
        ORDER BY receiver, created_wall_ms, kind
        LIMIT ${perReceiver} BY receiver
        LIMIT ${perReceiver * maxReceivers}`);
      return rows.map((r) => {
        for (const c of NUMERIC_NOTIFICATION) r[c] = Number(r[c]);
        return r as unknown as NotificationRow;
      });
    },

    /**
     * Surfaced alerts that are resolved but were never owed their resolution: found through the
     * outbox rather than by when they changed, so an evaluator that died between storing an alert
     * and owing its notifications owes them whenever it comes back. Every surfaced alert is owed
     * its resolution at least on the Kafka receiver, so a missing row means it was never owed.
     */
    async resolvedNotOwed(limit = 1000): Promise<AlertRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(sql`
        SELECT * FROM ${t("alerts_state")} FINAL
        WHERE disposition = 'surfaced' AND isNotNull(resolved_ms)
          AND alert_id NOT IN (SELECT alert_id FROM ${t("alert_notifications")} WHERE kind = 'resolved')
        ORDER BY updated_wall_ms LIMIT ${limit}`);
      return rows.map(alertFromRow);
    },

    async notifications(alertId: string): Promise<NotificationRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(
        sql`SELECT * FROM ${t("alert_notifications")} FINAL WHERE alert_id = ${alertId} ORDER BY created_wall_ms`,
      );
      return rows.map((r) => {
        for (const c of NUMERIC_NOTIFICATION) r[c] = Number(r[c]);
        return r as unknown as NotificationRow;
      });
    },

    async addFeedback(row: FeedbackRow): Promise<void> {
      await ch.insertJsonEachRow(table("alert_feedback"), jsonRows([row]));
    },

    async feedback(alertIds: string[]): Promise<FeedbackRow[]> {
      if (alertIds.length === 0) return [];
      const rows = await ch.rows<FeedbackRow & { at_ms: string }>(
        sql`SELECT * FROM ${t("alert_feedback")} WHERE alert_id IN ${list(alertIds)} ORDER BY at_ms`,
      );
      return rows.map((r) => ({ ...r, at_ms: Number(r.at_ms) }));
    },

    /** Alerts first seen since `fromMs`, with their latest feedback: the suppressor's history. */
    async history(fromMs: number): Promise<Array<AlertRow & { action: string; action_ms: number }>> {
      const rows = await ch.rows<Record<string, unknown>>(sql`
        SELECT * FROM (SELECT * FROM ${t("alerts_state")} FINAL WHERE first_seen_wall_ms >= ${fromMs}) AS alert_rows
        ANY LEFT JOIN (SELECT alert_id, argMax(action, at_ms) AS latest_action, max(at_ms) AS latest_action_ms FROM ${t("alert_feedback")} GROUP BY alert_id) AS latest_feedback
        USING (alert_id)
        ORDER BY first_seen_wall_ms`);
      return rows.map((r) =>
        Object.assign(alertFromRow(r), { action: String(r.latest_action ?? ""), action_ms: Number(r.latest_action_ms ?? 0) }),
      );
    },

    async writeRuleStatus(rows: RuleStatusRow[]): Promise<void> {
      await ch.insertJsonEachRow(table("rule_status"), jsonRows(rows));
    },

    async ruleStatus(ruleId?: string): Promise<RuleStatusRow[]> {
      const rows = await ch.rows<Record<string, unknown>>(sql`
        SELECT * FROM ${t("rule_status")} FINAL ${ruleId === undefined ? sql`` : sql`WHERE rule_id = ${ruleId}`} ORDER BY rule_id, model_id, model_version, slice, metric`);
      return rows.map((r) => ({
        ...(r as unknown as RuleStatusRow),
        window_start_ms: Number(r.window_start_ms),
        updated_wall_ms: Number(r.updated_wall_ms),
        value: r.value === null ? null : Number(r.value),
      }));
    },

    async saveSuppressorModel(m: SuppressorModelRow): Promise<void> {
      await ch.insertJsonEachRow(
        table("suppressor_models"),
        jsonRows([
          {
            version: m.version,
            origin: m.origin,
            trained_at_ms: m.trained_at_ms,
            threshold: m.threshold,
            model_base64: Buffer.from(m.model).toString("base64"),
            report: JSON.stringify(m.report),
          },
        ]),
      );
    },

    async latestSuppressorModel(): Promise<SuppressorModelRow | undefined> {
      const rows = await ch.rows<{
        version: string;
        origin: string;
        trained_at_ms: string;
        threshold: number;
        model_base64: string;
        report: string;
      }>(sql`
        SELECT * FROM ${t("suppressor_models")} FINAL ORDER BY trained_at_ms DESC, version DESC LIMIT 1`);
      const r = rows[0];
      if (!r) return undefined;
      return {
        version: r.version,
        origin: r.origin as "trained" | "imported",
        trained_at_ms: Number(r.trained_at_ms),
        threshold: Number(r.threshold),
        model: new Uint8Array(Buffer.from(r.model_base64, "base64")),
        report: JSON.parse(r.report) as Record<string, unknown>,
      };
    },
  };
}

export type AlertsRepository = ReturnType<typeof alertsRepository>;
