/**
 * Removing one model's data from every table (DELETE /v1/models/:id, `hindsight models delete`).
 * The tables are found, not listed: every MergeTree table of the database with a `model_id` column,
 * so a table added later is covered without editing this file. Rows keyed by something else are
 * removed through the model's rows first: reference samples and profiles by the model's reference
 * and upload ids, notifications and feedback by its alert ids, and the rules that target it. The audit log
 * keeps the record that the model was deleted (its column is `model_ids`, by design).
 *
 * Lightweight DELETE (verified on ClickHouse 26.9): rows vanish from reads at once, including with
 * FINAL, and leave the disk at the next merge. Each statement's text is fixed; the model id is a
 * parameter and the reference and alert ids are subqueries, never lists in the SQL.
 */
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, sql } from "./sql.js";

export interface DeletionReport {
  model_id: string;
  /** Rows found per table before the deletion (the ones removed). */
  tables: Record<string, number>;
}

export async function deleteModelData(ch: ClickHouse, modelId: string): Promise<DeletionReport> {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const tables = await ch.rows(
    row({ table: str }),
    sql`
    SELECT c.table AS table FROM system.columns AS c
    INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
    WHERE c.database = ${ch.database} AND c.name = 'model_id' AND t.engine LIKE '%MergeTree'
    ORDER BY c.table`,
  );
  const report: DeletionReport = { model_id: modelId, tables: {} };
  const count = async (table: string, where: ReturnType<typeof sql>) => {
    const [r] = await ch.rows(row({ n: int }), sql`SELECT count() AS n FROM ${t(table)} WHERE ${where}`);
    return r?.n ?? 0;
  };
  const remove = async (table: string, where: ReturnType<typeof sql>) => {
    const n = await count(table, where);
    if (n > 0) await ch.command(sql`DELETE FROM ${t(table)} WHERE ${where}`);
    report.tables[table] = (report.tables[table] ?? 0) + n;
  };

  // Keyed by the model's references and alerts: removed while those can still be found.
  const references = sql`reference_id IN (SELECT reference_id FROM ${t("drift_references")} WHERE model_id = ${modelId})`;
  await remove("reference_features", references);
  await remove("reference_samples", references);
  // Rows of uploads in parts, completed or not (an open one has no drift_references row yet).
  await remove("reference_samples", sql`reference_id IN (SELECT upload_id FROM ${t("reference_uploads")} WHERE model_id = ${modelId})`);
  const alerts = sql`alert_id IN (SELECT alert_id FROM ${t("alerts_state")} WHERE model_id = ${modelId})`;
  await remove("alert_notifications", alerts);
  await remove("alert_feedback", alerts);
  // Every version of the rules that target this model alone.
  await remove("alert_rules", sql`JSONExtractString(spec, 'target', 'model') = ${modelId}`);
  for (const { table } of tables) await remove(table, sql`model_id = ${modelId}`);
  return report;
}
