/**
 * POST /v1/sql against the real ClickHouse, as a real read-only user (`analyst_test`: the analyst
 * profile with a 3 s time limit, on a database this test claims). Happy paths on the documented
 * views; then a corpus of attacks, each answered with a 4xx and a clear code, sent twice: through
 * the endpoint, and straight to ClickHouse as the analyst user without the endpoint's check, to
 * prove that the ClickHouse user itself refuses or cuts them off. Ingestion keeps working throughout.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAnalystSql, type AnalystSql } from "../services/common/clickhouse/analyst-query.js";
import { createClickHouse } from "../services/common/clickhouse/client.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import {
  count,
  label,
  postJson,
  prediction,
  startPipeline,
  stopPipeline,
  TEST_TOKEN,
  waitForProcessor,
  waitUntil,
  type Pipeline,
} from "./helpers/harness.js";
import { ANALYST_TEST_USER, claimAnalystDatabase, releaseAnalystDatabase } from "./helpers/analyst-db.js";

describe("POST /v1/sql", () => {
  let p: Pipeline;
  let direct: AnalystSql;
  let db: string;
  const sqlPost = (query: string, limit?: number) =>
    postJson(`${p.gateway.url}/v1/sql`, limit === undefined ? { query } : { query, limit });

  beforeAll(async () => {
    db = await claimAnalystDatabase(inject("stack").clickhouseUrl);
    // Another database with a table in it, which the analyst has no grant to read.
    const admin = createClickHouse({ url: inject("stack").clickhouseUrl, user: "default", password: "", database: "default" });
    await admin.command(sql`CREATE DATABASE ${ident(otherDb)}`);
    await admin.command(sql`CREATE TABLE ${ident(`${otherDb}.kept`)} (secret String) ENGINE = MergeTree ORDER BY secret`);
    await admin.command(sql`INSERT INTO ${ident(`${otherDb}.kept`)} VALUES (${"not for analysts"})`);
    await admin.close();
    p = await startPipeline({ CLICKHOUSE_DATABASE: db, CLICKHOUSE_ANALYST_USER: ANALYST_TEST_USER });
    direct = createAnalystSql({ url: p.stack.config.clickhouse.url, user: ANALYST_TEST_USER, password: "", database: db });
    const ids = Array.from({ length: 300 }, (_, i) => i);
    expect(
      (
        await postJson(
          `${p.gateway.url}/v1/predictions`,
          ids.map((i) => prediction(i)),
        )
      ).status,
    ).toBe(202);
    expect(
      (
        await postJson(
          `${p.gateway.url}/v1/labels`,
          ids.filter((i) => i % 2 === 0).map((i) => label(i)),
        )
      ).status,
    ).toBe(202);
    await waitForProcessor(p.stack);
    await waitUntil(
      "labelled predictions",
      () => count(p.stack, "labeled_predictions", sql`FINAL`),
      (n) => n === 150,
    );
  });
  afterAll(async () => {
    await direct?.close();
    await stopPipeline(p ?? {});
    if (db) await releaseAnalystDatabase(inject("stack").clickhouseUrl, db);
    await releaseAnalystDatabase(inject("stack").clickhouseUrl, otherDb);
  });

  describe("answers", () => {
    it("runs a SELECT on a documented view and answers columns, rows and statistics", async () => {
      const res = await sqlPost("SELECT model_id, count() AS n, uniqExact(prediction_id) AS ids FROM prediction_events GROUP BY model_id");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        columns: [
          { name: "model_id", type: "String" },
          { name: "n", type: "UInt64" },
          { name: "ids", type: "UInt64" },
        ],
        // 64-bit integers come as strings, exactly as ClickHouse's JSON writes them.
        rows: [["fraud", "300", "300"]],
        rows_returned: 1,
        truncated: false,
      });
      expect(res.body.rows_read).toBeGreaterThanOrEqual(300);
      expect(res.body.bytes_read).toBeGreaterThan(0);
      expect(res.body.elapsed_ms).toBeGreaterThanOrEqual(0);
    });

    it("reads the metric views an analyst starts from", async () => {
      const slices = await sqlPost(
        `SELECT slice_key, sum(labeled) AS labeled FROM slice_metrics WHERE model_id = 'fraud' AND window_seconds = 86400 AND slice_key = '' GROUP BY slice_key`,
      );
      expect(slices.status, JSON.stringify(slices.body)).toBe(200);
      expect(slices.body.rows).toEqual([["", "150"]]);
      for (const view of [
        "label_delays",
        "label_quality",
        "paired_comparison",
        "expected_errors",
        "labeled_predictions FINAL",
        "drift_scores",
        "slice_drift_scores",
        "data_quality",
      ]) {
        const res = await sqlPost(`SELECT count() FROM ${view}`);
        expect(res.status, `${view}: ${JSON.stringify(res.body)}`).toBe(200);
      }
      const withClause = await sqlPost("WITH 'fraud' AS m SELECT count() AS n FROM label_events WHERE model_id = m;");
      expect(withClause.body.rows).toEqual([["150"]]);
    });

    it("takes the query as a text/plain body", async () => {
      const res = await postJson(`${p.gateway.url}/v1/sql`, "SELECT 1 AS one -- trailing comment", TEST_TOKEN, "text/plain");
      expect(res).toMatchObject({ status: 200, body: { columns: [{ name: "one", type: "UInt8" }], rows: [[1]] } });
    });

    it("caps the rows at the limit and says the answer was truncated", async () => {
      const cut = await sqlPost("SELECT prediction_id FROM prediction_events ORDER BY prediction_id", 10);
      expect(cut.body).toMatchObject({ rows_returned: 10, truncated: true });
      expect(cut.body.rows[0]).toEqual(["p-0"]);
      const whole = await sqlPost("SELECT prediction_id FROM prediction_events", 300);
      expect(whole.body).toMatchObject({ rows_returned: 300, truncated: false });
      // The default limit is 10,000; the largest 100,000 (the profile allows one row more, to tell).
      const many = await sqlPost("SELECT arrayJoin(range(100500)) AS n", 100_000);
      expect(many.body).toMatchObject({ rows_returned: 100_000, truncated: true });
      expect((await sqlPost("SELECT 1", 100_001)).status).toBe(400);
      expect((await sqlPost("SELECT 1", 0)).body.error.code).toBe("bad_request");
    });

    it("answers 400 with ClickHouse's own message for a query with a mistake", async () => {
      const res = await sqlPost("SELECT no_such_column FROM prediction_events");
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("sql_error");
      expect(res.body.error.message).toMatch(/no_such_column/);
      expect(res.body.error.message).not.toMatch(/DB::Exception|e\.what|Stack trace|127\.0\.0\.1/);
      expect((await postJson(`${p.gateway.url}/v1/sql`, { query: 5 })).status).toBe(400);
      expect((await postJson(`${p.gateway.url}/v1/sql`, { query: "SELECT 1", extra: 1 })).status).toBe(400);
    });
  });

  // [query, code through the endpoint, code when sent straight to ClickHouse as the analyst user].
  // ClickHouse checks grants first: writes, DDL and table functions that reach outside (file, url,
  // remote) are refused as access_denied; SET and SETTINGS by readonly=1 and its constraints.
  const attacks = (other: string): Array<[string, string, string]> => [
    ["INSERT INTO predictions (prediction_id) VALUES ('x')", "not_a_select", "access_denied"],
    ["CREATE TABLE evil (a UInt8) ENGINE = Memory", "not_a_select", "access_denied"],
    ["DROP TABLE predictions", "not_a_select", "access_denied"],
    ["ALTER TABLE predictions DELETE WHERE 1", "not_a_select", "access_denied"],
    ["TRUNCATE TABLE predictions", "not_a_select", "access_denied"],
    ["RENAME TABLE predictions TO gone", "not_a_select", "access_denied"],
    ["SET max_execution_time = 1000", "not_a_select", "read_only"],
    ["SELECT 1 SETTINGS readonly = 0", "forbidden_clause", "read_only"],
    ["SELECT count() FROM prediction_events SETTINGS max_execution_time = 1000, max_memory_usage = 0", "forbidden_clause", "read_only"],
    ["SELECT * FROM file('/etc/passwd', 'CSV', 'line String')", "access_denied", "access_denied"],
    ["SELECT * FROM url('http://127.0.0.1:8123/?query=SELECT%201', 'CSV', 'a String')", "access_denied", "access_denied"],
    ["SELECT * FROM remote('127.0.0.1', system.one)", "forbidden_table", "access_denied"],
    ["SELECT * FROM remote('127.0.0.1', default, one)", "access_denied", "access_denied"],
    ["SELECT count() FROM numbers(1000000000000)", "limit_exceeded", "limit_exceeded"],
    ["SELECT count() FROM system.numbers", "forbidden_table", "access_denied"],
    ["SELECT user, query FROM system.processes", "forbidden_table", "access_denied"],
    ["SELECT user, query FROM `sys\\Ntem`.processes", "forbidden_identifier", "access_denied"],
    ["SELECT name FROM information_schema.tables", "forbidden_table", "access_denied"],
    [`SELECT secret FROM ${other}.kept`, "access_denied", "access_denied"],
    // Receivers' secrets live in alert_settings, outside the analyst's grants.
    ["SELECT receivers FROM alert_settings", "access_denied", "access_denied"],
    ["SELECT count() FROM alert_notifications", "access_denied", "access_denied"],
    // Two different calls (one `sleep(2)` twice is computed once): 4.5 s against the test profile's 3 s.
    ["SELECT sleep(2) + sleep(2.5)", "timeout", "timeout"],
    ["SELECT uniqExact(a) FROM (SELECT arrayJoin(range(100000000)) AS a)", "limit_exceeded", "limit_exceeded"],
    ["SELECT a, count() FROM (SELECT arrayJoin(range(50000000)) AS a) GROUP BY a", "limit_exceeded", "limit_exceeded"],
    ["SELECT 1; DROP TABLE predictions", "multiple_statements", "sql_error"],
    ["SELECT 1 /* ; */; DROP TABLE predictions", "multiple_statements", "sql_error"],
    ["SELECT 1 -- harmless\n; DROP TABLE predictions", "multiple_statements", "sql_error"],
    ["SELECT 1 INTO OUTFILE 'stolen.tsv'", "forbidden_clause", "sql_error"],
  ];
  const otherDb = `hs_other_${Date.now().toString(36)}`;

  describe("attacks through the endpoint", () => {
    it.each(attacks(otherDb))("%j is answered with %s", async (query, code) => {
      const res = await sqlPost(query);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(10);
    });

    it("refuses the system tables, however the name is written", async () => {
      for (const query of [
        "SELECT * FROM system.processes",
        "SELECT * FROM `system`.tables",
        'SELECT * FROM "system".parts',
        "SELECT * FROM INFORMATION_SCHEMA.COLUMNS",
      ]) {
        const res = await sqlPost(query);
        expect([res.status, res.body.error.code], query).toEqual([400, "forbidden_table"]);
      }
      for (const name of ["`sys\\x74em`", "`sys\\Ntem`", "`s\\ystem`"]) {
        for (const table of ["processes", "databases", "tables", "columns", "settings", "parts"]) {
          const query = `SELECT * FROM ${name}.${table}`;
          const res = await sqlPost(query);
          expect([res.status, res.body.error.code], query).toEqual([400, "forbidden_identifier"]);
        }
      }
    });

    it("is confined by ClickHouse's grants on system tables, without the endpoint's check", async () => {
      // ClickHouse reads `sys\x74em` and `sys\Ntem` as `system`; its grants refuse what shows others' work.
      for (const query of [
        "SELECT user, query FROM `sys\\x74em`.processes",
        "SELECT user, query FROM `sys\\Ntem`.processes",
        "SELECT * FROM system.parts",
        "SELECT * FROM system.merges",
        "SELECT * FROM system.users",
      ]) {
        await expect(direct.unchecked(query), query).rejects.toMatchObject({ code: "access_denied" });
      }
      // The catalogue tables stay readable, filtered to what the analyst may read.
      const lines = async (query: string) =>
        (await direct.unchecked(query))
          .trim()
          .split("\n")
          .map((l) => l.replace(/^"|"$/g, ""));
      const databases = await lines("SELECT name FROM system.databases");
      expect(databases).toContain(db);
      // Only the databases it has grants on: the tests' analyst databases, never the services' own.
      expect(databases.filter((d) => !/^hs_analyst_\d$/.test(d))).toEqual([]);
      const tables = await lines(`SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`);
      expect(tables).toContain("slice_metrics");
      for (const hidden of ["alert_settings", "alert_notifications", "suppressor_models", "schema_migrations"])
        expect(tables).not.toContain(hidden);
    });
  });

  describe("the same attacks straight to ClickHouse as the analyst user, without the endpoint's check", () => {
    it.each(attacks(otherDb))("%j is refused by ClickHouse itself (%s, then %s)", async (query, _endpointCode, code) => {
      const err = await direct.unchecked(query).then(
        (answer) => new Error(`ClickHouse ran it: ${answer.slice(0, 200)}`),
        (e: Error) => e,
      );
      expect(err).toMatchObject({ code });
    });

    it("pins the limits in the profile: readonly=1, and no query or URL parameter can lift them", async () => {
      const names = ["max_execution_time", "max_memory_usage", "max_result_rows", "max_rows_to_read", "max_threads", "readonly"];
      const settings = await direct.unchecked(`SELECT ${names.map((n) => `getSetting('${n}')`).join(", ")}`);
      expect(settings.trim().split(",")).toEqual(["3", "1000000000", "100001", "500000000", "1", "1"]);
      const viaUrl = await fetch(
        `${p.stack.config.clickhouse.url}/?user=${ANALYST_TEST_USER}&database=${db}&max_execution_time=1000&readonly=0`,
        { method: "POST", body: "SELECT 1" },
      );
      expect(viaUrl.status).toBeGreaterThanOrEqual(400);
      expect(await viaUrl.text()).toMatch(/readonly mode/);
    });
  });

  it("keeps ingesting after the attacks, with nothing written or dropped by them", async () => {
    const before = await count(p.stack, "prediction_events");
    expect(before).toBe(300);
    expect(
      (
        await postJson(
          `${p.gateway.url}/v1/predictions`,
          Array.from({ length: 50 }, (_, i) => prediction(1000 + i)),
        )
      ).status,
    ).toBe(202);
    await waitForProcessor(p.stack);
    await waitUntil(
      "the new predictions",
      () => count(p.stack, "prediction_events"),
      (n) => n === 350,
    );
    const tables = await sqlPost("SELECT count() FROM predictions FINAL");
    expect(tables.body.rows).toEqual([["350"]]);
  });
});
