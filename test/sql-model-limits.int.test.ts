/**
 * Model limits in analysts' SQL (issue 15, item 2) on the real ClickHouse: a model-limited token's
 * POST /v1/sql runs as the scoped analyst user, whose row filters (users.xml) let it see only the
 * models the gateway recorded for that query's id, through tables, views, subqueries and joins;
 * tables without a model_id column are outside its grants; without the gateway's record a direct
 * connection sees nothing; an unlimited token and the services' user still see every model.
 */
import { randomUUID } from "node:crypto";
import { createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sql } from "../services/common/clickhouse/sql.js";
import { alertRowFixture } from "../services/common/domain/alerts/alert-row.fixture.js";
import { ANALYST_TEST_USER, claimAnalystDatabase, releaseAnalystDatabase } from "./helpers/analyst-db.js";
import {
  TEST_TOKEN,
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

const FRAUD_READER = "sql-limits-fraud-reader-token-01";
const SCOPED_TEST_USER = "analyst_scoped_test";

describe("POST /v1/sql with a model-limited token", () => {
  let p: Pipeline;
  let db: string;
  const ask = async (query: string, token: string) => postJson(`${p.gateway.url}/v1/sql`, { query }, token);
  const models = async (query: string, token: string) => {
    const res = await ask(query, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return [...new Set((res.body.rows as unknown[][]).map((r) => r[0]))].sort();
  };

  beforeAll(async () => {
    db = await claimAnalystDatabase(inject("stack").clickhouseUrl);
    p = await startPipeline({
      CLICKHOUSE_DATABASE: db,
      CLICKHOUSE_ANALYST_USER: ANALYST_TEST_USER,
      CLICKHOUSE_ANALYST_SCOPED_USER: SCOPED_TEST_USER,
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] },
        { token: FRAUD_READER, scopes: ["read"], models: ["fraud"] },
      ]),
    });
    for (const model of ["fraud", "churn"]) {
      const base = model === "fraud" ? 0 : 1000;
      expect(
        (
          await postJson(
            `${p.gateway.url}/v1/predictions`,
            Array.from({ length: 40 }, (_, i) => prediction(base + i, model)),
          )
        ).status,
      ).toBe(202);
      expect(
        (
          await postJson(
            `${p.gateway.url}/v1/labels`,
            Array.from({ length: 40 }, (_, i) => label(base + i, model)),
          )
        ).status,
      ).toBe(202);
      await p.stack.clickhouse.insertJsonEachRow(`${db}.alerts_state`, [
        JSON.stringify(alertRowFixture({ alert_id: `a-${model}`, model_id: model })),
      ]);
      // Drift per slice of each model, for the slice_drift_scores view.
      await p.stack.clickhouse.insertJsonEachRow(`${db}.window_slice_drift`, [
        JSON.stringify({
          model_id: model,
          model_version: "v3",
          window_start: "2026-11-23 10:00:00",
          window_seconds: 3600,
          slice_key: "country",
          slice_value: "DE",
          feature: "amount",
          kind: "numeric",
          method: "ks",
          decision: "no_drift",
          computed_at_ms: 1,
        }),
      ]);
      // Paired statistics (shadow traffic) of each model, for the paired_comparison view.
      await p.stack.clickhouse.insertJsonEachRow(`${db}.window_paired_stats`, [
        JSON.stringify({
          model_id: model,
          window_start: "2026-11-23 10:00:00",
          version_a: "v3",
          stage_a: "production",
          version_b: "v4",
          stage_b: "shadow",
          pairs: 5,
          labelled: 4,
          both_right: 4,
          computed_at_ms: 1,
        }),
      ]);
    }
    await waitForProcessor(p.stack);
    await waitUntil(
      "labelled predictions of both models",
      () => count(p.stack, "labeled_predictions", sql`FINAL`),
      (n) => n === 80,
    );
    await waitUntil(
      "windows of both models",
      () => count(p.stack, "window_label_stats", sql`WHERE slice_key = ''`),
      (n) => n >= 2,
    );
  });
  afterAll(async () => {
    await stopPipeline(p ?? {});
    if (db) await releaseAnalystDatabase(inject("stack").clickhouseUrl, db);
  });

  it("sees only its models' rows, through tables, views, subqueries, joins and unions", async () => {
    const queries = [
      "SELECT model_id FROM prediction_events",
      "SELECT model_id FROM predictions",
      "SELECT model_id FROM label_events",
      "SELECT model_id FROM labeled_predictions",
      "SELECT model_id FROM slice_metrics",
      "SELECT model_id FROM slice_drift_scores",
      "SELECT model_id FROM window_slice_drift",
      "SELECT model_id FROM paired_comparison",
      "SELECT model_id FROM window_paired_stats",
      "SELECT model_id FROM score_histograms",
      "SELECT model_id FROM expected_errors",
      "SELECT model_id FROM label_delays",
      "SELECT model_id FROM label_quality",
      "SELECT model_id FROM models",
      "SELECT model_id FROM alerts",
      "SELECT model_id FROM alerts_state",
      "SELECT model_id FROM features_by_time",
      "SELECT model_id FROM (SELECT * FROM predictions_by_time) WHERE model_id IN ('fraud', 'churn')",
      "SELECT a.model_id FROM predictions AS a INNER JOIN labels AS b ON a.prediction_id = b.prediction_id",
      "SELECT model_id FROM predictions WHERE model_id = 'churn' UNION ALL SELECT model_id FROM labels",
    ];
    for (const q of queries) {
      expect(await models(q, TEST_TOKEN), q).toEqual(["churn", "fraud"]);
      expect(await models(q, FRAUD_READER), q).toEqual(["fraud"]);
    }
    expect((await ask("SELECT count() FROM predictions WHERE model_id = 'churn'", FRAUD_READER)).body.rows).toEqual([["0"]]);
    // Its own grant record, and no other query's.
    expect((await ask("SELECT model_id FROM sql_query_models", FRAUD_READER)).body.rows).toEqual([["fraud"]]);
    // The services' user still sees everything.
    expect(await count(p.stack, "predictions", sql`WHERE model_id = 'churn'`)).toBe(40);
  });

  it("filters the tables keyed by other ids, refuses the services' own, and the usual attacks, with a limited token", async () => {
    await p.stack.clickhouse.insertJsonEachRow(`${db}.alert_feedback`, [
      ["fraud", "churn"].map((m) => JSON.stringify({ alert_id: `a-${m}`, action: "acted", comment: m, source: "t", at_ms: 1 })).join("\n"),
    ]);
    await p.stack.clickhouse.insertJsonEachRow(`${db}.alert_rules`, [
      ["fraud", "churn", "*"]
        .map((m, i) =>
          JSON.stringify({
            rule_id: `r${i}`,
            version: 1,
            spec: JSON.stringify({ id: `r${i}`, target: { model: m } }),
            deleted: 0,
            source: "t",
            applied_at_ms: 1,
          }),
        )
        .join("\n"),
    ]);
    expect((await ask("SELECT comment FROM alert_feedback", FRAUD_READER)).body.rows).toEqual([["fraud"]]);
    expect((await ask("SELECT rule_id FROM alert_rules", FRAUD_READER)).body.rows).toEqual([["r0"]]);
    expect((await ask("SELECT count() FROM alert_feedback", TEST_TOKEN)).body.rows).toEqual([["2"]]);
    for (const table of ["alert_settings", "api_tokens", "audit_log", "alert_notifications"]) {
      const res = await ask(`SELECT * FROM ${table}`, FRAUD_READER);
      expect(res.status, table).toBe(400);
      expect(res.body.error.code, table).toBe("access_denied");
    }
    const attacks: Array<[string, string]> = [
      ["SELECT * FROM predictions SETTINGS readonly = 0", "forbidden_clause"],
      ["SELECT user, query FROM system.processes", "forbidden_table"],
      ["SELECT * FROM `sys\\Ntem`.processes", "forbidden_identifier"],
      ["INSERT INTO sql_query_models VALUES ('x', 'churn', now())", "not_a_select"],
      ["SELECT * FROM file('/etc/passwd')", "access_denied"],
      ["SELECT 1; SELECT 2", "multiple_statements"],
    ];
    for (const [query, code] of attacks) {
      const res = await ask(query, FRAUD_READER);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe(code);
    }
  });

  it("a direct connection as the scoped user, without the gateway's record, sees nothing", async () => {
    const direct = createClient({ url: p.stack.config.clickhouse.url, username: SCOPED_TEST_USER, password: "", database: db });
    try {
      const rows = await (
        await direct.query({ query: "SELECT count() AS n FROM prediction_events", format: "JSONEachRow", query_id: randomUUID() })
      ).json<{ n: string }>();
      expect(rows).toEqual([{ n: "0" }]);
      await expect(direct.command({ query: "INSERT INTO sql_query_models (query_id, model_id) VALUES ('mine', 'churn')" })).rejects.toThrow(
        /readonly|Not enough privileges/i,
      );
    } finally {
      await direct.close();
    }
  });
});
