/**
 * Deleting a model (issue 15, item 9) on the real pipeline: events, labels, windows, drift,
 * references, rules and alerts of two models; DELETE /v1/models/fraud (admin) leaves nothing of
 * fraud in any table of the database that has a model_id column (found from system.columns as the
 * default user, so a table added later is checked too), nor in the tables keyed by its reference
 * and alert ids, while churn is untouched; then `hindsight models delete churn` does the same.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { alertRowFixture } from "../services/common/domain/alerts/alert-row.fixture.js";
import {
  TEST_TOKEN,
  requestJson,
  count,
  label,
  postJson,
  prediction,
  startPipeline,
  stopPipeline,
  waitForProcessor,
  waitUntil,
  type Pipeline,
} from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const CHURN_ADMIN = "deletion-test-churn-admin-token1";
const READER = "deletion-test-read-only-token-01";

describe("deleting a model", () => {
  let p: Pipeline;
  const db = () => p.stack.config.clickhouse.database;
  const t = (name: string) => ident(`${db()}.${name}`);
  const call = (method: string, path: string, token: string, body?: unknown) => requestJson(method, `${p.gateway.url}${path}`, body, token);
  /** Rows of the model left anywhere: every table and view with a model_id column, and the tables keyed by its references and alerts. */
  async function leftOf(modelId: string, referenceIds: string[], alertIds: string[]): Promise<Record<string, number>> {
    const tables = await p.stack.clickhouse.rows(
      anyRow<{ table: string }>(),
      sql`SELECT DISTINCT table FROM system.columns WHERE database = ${db()} AND name = 'model_id' ORDER BY table`,
    );
    expect(tables.length).toBeGreaterThan(15);
    const left: Record<string, number> = {};
    for (const { table } of tables) left[table] = await count(p.stack, table, sql`WHERE model_id = ${modelId}`);
    left.reference_samples = await count(p.stack, "reference_samples", sql`WHERE has(${referenceIds}, reference_id)`);
    left.reference_features = await count(p.stack, "reference_features", sql`WHERE has(${referenceIds}, reference_id)`);
    left.alert_notifications = await count(p.stack, "alert_notifications", sql`WHERE has(${alertIds}, alert_id)`);
    left.alert_feedback = await count(p.stack, "alert_feedback", sql`WHERE has(${alertIds}, alert_id)`);
    left.alert_rules = await count(p.stack, "alert_rules", sql`WHERE JSONExtractString(spec, 'target', 'model') = ${modelId}`);
    return left;
  }
  const nonZero = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, n]) => n > 0));

  beforeAll(async () => {
    p = await startPipeline({
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"], name: "platform" },
        { token: CHURN_ADMIN, scopes: ["admin", "read"], models: ["churn"] },
        { token: READER, scopes: ["read"] },
      ]),
    });
  });
  afterAll(async () => stopPipeline(p));

  it("removes every row of the model from every table, leaves the others, and audits it", async () => {
    const refs: Record<string, string> = {};
    for (const model of ["fraud", "churn"]) {
      expect(
        (await call("PUT", `/v1/models/${model}`, TEST_TOKEN, { task: "binary", positive_class: "fraud", slice_keys: ["country"] })).status,
      ).toBe(200);
      const base = model === "fraud" ? 0 : 1000;
      expect(
        (
          await postJson(
            `${p.gateway.url}/v1/predictions`,
            Array.from({ length: 60 }, (_, i) => prediction(base + i, model)),
          )
        ).body.accepted,
      ).toBe(60);
      expect(
        (
          await postJson(
            `${p.gateway.url}/v1/labels`,
            Array.from({ length: 60 }, (_, i) => label(base + i, model)),
          )
        ).body.accepted,
      ).toBe(60);
      const ref = await call(
        "POST",
        `/v1/models/${model}/reference`,
        TEST_TOKEN,
        Array.from({ length: 50 }, (_, i) => ({ amount: i, country: ["DE", "FR"][i % 2] })),
      );
      expect(ref.status).toBe(201);
      refs[model] = ref.body.reference_id;
    }
    expect(
      (
        await call("PUT", "/v1/rules", TEST_TOKEN, {
          rules: ["fraud", "churn"].map((m) => ({
            id: `${m}-acc`,
            kind: "threshold",
            metric: "accuracy",
            op: "<",
            threshold: 0.9,
            target: { model: m },
          })),
        })
      ).status,
    ).toBe(200);
    const alerts = { fraud: "alert-fraud-1", churn: "alert-churn-1" };
    for (const [model, id] of Object.entries(alerts)) {
      await p.stack.clickhouse.insertJsonEachRow(`${db()}.alerts_state`, [
        JSON.stringify(alertRowFixture({ alert_id: id, model_id: model, rule_id: `${model}-acc` })),
      ]);
      await p.stack.clickhouse.insertJsonEachRow(`${db()}.alert_notifications`, [
        JSON.stringify({
          notification_id: `n-${id}`,
          alert_id: id,
          kind: "firing",
          receiver: "kafka",
          created_wall_ms: 1,
          attempts: 0,
          next_attempt_wall_ms: 1,
          delivered_wall_ms: 1,
          last_error: "",
          updated_wall_ms: 1,
        }),
      ]);
      await p.stack.clickhouse.insertJsonEachRow(`${db()}.alert_feedback`, [
        JSON.stringify({ alert_id: id, action: "acted", comment: "", source: "test", at_ms: 1 }),
      ]);
      await p.stack.clickhouse.insertJsonEachRow(`${db()}.rule_status`, [
        JSON.stringify({
          rule_id: `${model}-acc`,
          fingerprint: id,
          model_id: model,
          model_version: "v3",
          slice: "",
          metric: "accuracy",
          state: "ok",
          reason: "",
          window_start_ms: 0,
          value: 1,
          updated_wall_ms: 1,
        }),
      ]);
    }
    await waitForProcessor(p.stack);
    await waitUntil(
      "windows and drift of both models",
      async () => [
        await count(p.stack, "window_label_stats", sql`WHERE model_id = 'fraud'`),
        await count(p.stack, "window_feature_summaries", sql`WHERE model_id = 'churn'`),
      ],
      ([a, b]) => a! > 0 && b! > 0,
      30_000,
    );
    const before = nonZero(await leftOf("fraud", [refs.fraud!], [alerts.fraud]));
    for (const table of [
      "predictions",
      "labels",
      "labeled_predictions",
      "window_volume",
      "window_volume_cells",
      "window_label_stats",
      "window_label_cells",
      "features_by_time",
      "window_feature_summaries",
      "drift_references",
      "reference_samples",
      "reference_features",
      "models",
      "model_rules",
      "alerts_state",
      "alert_notifications",
      "alert_feedback",
      "alert_rules",
      "rule_status",
    ]) {
      expect(before[table], `fraud rows in ${table} before`).toBeGreaterThan(0);
    }

    // Only an admin of the model may delete it.
    expect((await call("DELETE", "/v1/models/fraud", READER)).status).toBe(403);
    expect((await call("DELETE", "/v1/models/fraud", CHURN_ADMIN)).status).toBe(403);
    const deleted = await call("DELETE", "/v1/models/fraud", TEST_TOKEN);
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted_rows.predictions).toBe(60);

    expect(nonZero(await leftOf("fraud", [refs.fraud!], [alerts.fraud]))).toEqual({});
    // Nothing comes back while the processor keeps running.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(nonZero(await leftOf("fraud", [refs.fraud!], [alerts.fraud]))).toEqual({});
    expect((await call("GET", "/v1/models", TEST_TOKEN)).body.models.map((m: { model_id: string }) => m.model_id)).toEqual(["churn"]);
    expect((await call("GET", "/v1/models/fraud/metrics", TEST_TOKEN)).status).toBe(404);
    expect((await call("DELETE", "/v1/models/fraud", TEST_TOKEN)).status).toBe(404);
    // churn is untouched.
    expect(nonZero(await leftOf("churn", [refs.churn!], [alerts.churn]))).toMatchObject({
      predictions: 60,
      labels: 60,
      alerts_state: 1,
      alert_feedback: 1,
      alert_rules: 1,
    });

    const audit = (await call("GET", "/v1/audit", TEST_TOKEN)).body.entries as Array<{ action: string; target: string; actor: string }>;
    expect(audit.find((e) => e.action === "model.delete")).toMatchObject({ target: "fraud", actor: "platform" });

    // The CLI, straight in ClickHouse.
    const cli = spawnSync(process.execPath, [join(ROOT, "bin/hindsight.mjs"), "models", "delete", "churn"], {
      env: { ...process.env, ...p.stack.env },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("model 'churn' deleted");
    expect(nonZero(await leftOf("churn", [refs.churn!], [alerts.churn]))).toEqual({});
    const [row] = await p.stack.clickhouse.rows(
      anyRow<{ n: string }>(),
      sql`SELECT count() AS n FROM ${t("audit_log")} WHERE action = 'model.delete'`,
    );
    expect(Number(row!.n)).toBe(2);
  }, 180_000);
});
