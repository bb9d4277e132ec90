/**
 * Alert rules and their settings, each change a new version (the history stays readable), and
 * the latest judgement of every series a rule watches (rule status).
 */
import { z } from "zod";
import { ReceiverSchema, RuleFileSchema, RuleSchema, type Rule, type RuleFile } from "../../../schemas/rules.js";
import { scopeRuleFile, type StoredReceiver } from "../domain/alerts/rule-scope.js";
import { jsonRows } from "./batch-writer.js";
import type { ClickHouse } from "./client.js";
import { flag, float, int, jsonText, row, str } from "./row-schema.js";
import { ident, sql } from "./sql.js";

export interface StoredRule {
  rule: Rule;
  version: number;
  appliedAtMs: number;
}

export type Settings = RuleFile["settings"];
export const DEFAULT_SETTINGS: Settings = RuleFileSchema.parse({ rules: [] }).settings;

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

/** A receiver as stored: a model-limited token's receivers carry their models (rule-scope.ts). */
const models = { models: z.array(z.string()).optional() };
const StoredReceiverSchema = z.discriminatedUnion("type", [
  ReceiverSchema.options[0].extend(models),
  ReceiverSchema.options[1].extend(models),
  ReceiverSchema.options[2].extend(models),
]) satisfies z.ZodType<StoredReceiver, unknown>;

const SettingsRow = row({
  latest_receivers: jsonText(z.array(StoredReceiverSchema)),
  latest_settings: jsonText(RuleFileSchema.shape.settings),
});

const RuleVersionRow = row({ rule_id: str, latest: int, latest_spec: str, latest_deleted: flag, latest_applied: int });

const RuleStatusRowShape = row({
  rule_id: str,
  fingerprint: str,
  model_id: str,
  model_version: str,
  slice: str,
  metric: str,
  state: str,
  reason: str,
  window_start_ms: int,
  value: float.nullable(),
  updated_wall_ms: int,
}) satisfies z.ZodType<RuleStatusRow, unknown>;

export function alertRulesRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;

  async function latestRuleVersions(): Promise<
    Array<{ rule_id: string; version: number; spec: string; deleted: boolean; applied_at_ms: number }>
  > {
    const rows = await ch.rows(
      RuleVersionRow,
      sql`
      SELECT rule_id, max(version) AS latest, argMax(spec, version) AS latest_spec, argMax(deleted, version) AS latest_deleted, argMax(applied_at_ms, version) AS latest_applied
      FROM ${t("alert_rules")} GROUP BY rule_id ORDER BY rule_id`,
    );
    return rows.map((r) => ({
      rule_id: r.rule_id,
      version: r.latest,
      spec: r.latest_spec,
      deleted: r.latest_deleted,
      applied_at_ms: r.latest_applied,
    }));
  }

  const repo = {
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
        const stored = await repo.settings();
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
      const settingsVersion = await ch.rows(row({ v: int }), sql`SELECT max(version) AS v FROM ${t("alert_settings")}`);
      await ch.insertJsonEachRow(
        table("alert_settings"),
        jsonRows([
          {
            version: (settingsVersion[0]?.v ?? 0) + 1,
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
      return ch.rows(
        row({ version: int, rule: jsonText(RuleSchema), deleted: flag, source: str, applied_at_ms: int }),
        sql`
        SELECT version, spec AS rule, deleted, source, applied_at_ms FROM ${t("alert_rules")} FINAL WHERE rule_id = ${ruleId} ORDER BY version`,
      );
    },

    /** Receivers with `models` belong to those models (rule-scope.ts); the others are shared. */
    async settings(): Promise<{ receivers: StoredReceiver[]; settings: Settings }> {
      const [r] = await ch.rows(
        SettingsRow,
        sql`
        SELECT argMax(receivers, version) AS latest_receivers, argMax(settings, version) AS latest_settings, count() AS n FROM ${t("alert_settings")} HAVING n > 0`,
      );
      return r ? { receivers: r.latest_receivers, settings: r.latest_settings } : { receivers: [], settings: DEFAULT_SETTINGS };
    },

    async writeRuleStatus(rows: RuleStatusRow[]): Promise<void> {
      await ch.insertJsonEachRow(table("rule_status"), jsonRows(rows));
    },

    async ruleStatus(ruleId?: string): Promise<RuleStatusRow[]> {
      return ch.rows(
        RuleStatusRowShape,
        sql`
        SELECT * FROM ${t("rule_status")} FINAL ${ruleId === undefined ? sql`` : sql`WHERE rule_id = ${ruleId}`} ORDER BY rule_id, model_id, model_version, slice, metric`,
      );
    },
  };
  return repo;
}
