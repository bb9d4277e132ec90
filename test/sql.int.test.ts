/**
 * POST /v1/sql against the real ClickHouse, as a real read-only user (`analyst_test`: the analyst
 * profile with a 3 s time limit, on a database this test claims). Happy paths on the documented
 * views; then a corpus of attacks, each answered with a 4xx and a clear code, sent twice: through
 * the endpoint, and straight to ClickHouse as the analyst user without the endpoint's check, to
 * prove that the ClickHouse user itself refuses or cuts them off. Ingestion keeps working throughout.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAnalystSql, type AnalystSql } from "../services/common/clickhouse/analyst-query.js";
import { count, label, postJson, prediction, startPipeline, stopPipeline, TEST_TOKEN, waitForProcessor, waitUntil, type Pipeline } from "./helpers/harness.js";
import { ANALYST_TEST_USER, claimAnalystDatabase, releaseAnalystDatabase } from "./helpers/analyst-db.js";

describe("POST /v1/sql", () => {
  let p: Pipeline;
  let direct: AnalystSql;
  let db: string;
  const sqlPost = (query: string, limit?: number) => postJson(`${p.gateway.url}/v1/sql`, limit === undefined ? { query } : { query, limit });

  beforeAll(async () => {
    db = await claimAnalystDatabase(inject("stack").clickhouseUrl);
    p = await startPipeline({ CLICKHOUSE_DATABASE: db, CLICKHOUSE_ANALYST_USER: ANALYST_TEST_USER });
    direct = createAnalystSql({ url: p.stack.config.clickhouse.url, user: ANALYST_TEST_USER, password: "", database: db });
    const ids = Array.from({ length: 300 }, (_, i) => i);
    expect((await postJson(`${p.gateway.url}/v1/predictions`, ids.map((i) => prediction(i)))).status).toBe(202);
    expect((await postJson(`${p.gateway.url}/v1/labels`, ids.filter((i) => i % 2 === 0).map((i) => label(i)))).status).toBe(202);
    await waitForProcessor(p.stack);
    await waitUntil("labelled predictions", () => count(p.stack, "labeled_predictions", undefined), (n) => n === 150);
  });
  afterAll(async () => {
    await direct?.close();
    await stopPipeline(p ?? {});
    if (db) await releaseAnalystDatabase(inject("stack").clickhouseUrl, db);
  });

  describe("answers", () => {
    it("runs a SELECT on a documented view and answers columns, rows and statistics", async () => {
      const res = await sqlPost("SELECT model_id, count() AS n, uniqExact(prediction_id) AS ids FROM prediction_events GROUP BY model_id");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        columns: [{ name: "model_id", type: "String" }, { name: "n", type: "UInt64" }, { name: "ids", type: "UInt64" }],
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
      const slices = await sqlPost(`SELECT slice_key, sum(labeled) AS labeled FROM slice_metrics WHERE model_id = 'fraud' AND window_seconds = 86400 AND slice_key = '' GROUP BY slice_key`);
      expect(slices.status).toBe(200);
      expect(slices.body.rows).toEqual([["", "150"]]);
      for (const view of ["label_delays", "label_quality", "labeled_predictions FINAL", "drift_scores", "data_quality"]) {
        const res = await sqlPost(`SELECT count() FROM ${view}`);
        expect(res.status, view).toBe(200);
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

  // [query, code through the endpoint, code when sent straight to ClickHouse as the analyst user]
  const attacks: Array<[string, string, string]> = [
    ["INSERT INTO predictions (prediction_id) VALUES ('x')", "not_a_select", "read_only"],
    ["CREATE TABLE evil (a UInt8) ENGINE = Memory", "not_a_select", "read_only"],
    ["DROP TABLE predictions", "not_a_select", "read_only"],
    ["ALTER TABLE predictions DELETE WHERE 1", "not_a_select", "read_only"],
    ["TRUNCATE TABLE predictions", "not_a_select", "read_only"],
    ["RENAME TABLE predictions TO gone", "not_a_select", "read_only"],
    ["SET max_execution_time = 1000", "not_a_select", "read_only"],
    ["SELECT 1 SETTINGS readonly = 0", "forbidden_clause", "read_only"],
    ["SELECT count() FROM prediction_events SETTINGS max_execution_time = 1000, max_memory_usage = 0", "forbidden_clause", "read_only"],
    ["SELECT * FROM file('/etc/passwd', 'CSV', 'line String')", "read_only", "read_only"],
    ["SELECT * FROM url('http://127.0.0.1:8123/?query=SELECT%201', 'CSV', 'a String')", "read_only", "read_only"],
    ["SELECT * FROM remote('127.0.0.1', system.one)", "forbidden_table", "read_only"],
    ["SELECT * FROM remote('127.0.0.1', default, one)", "read_only", "read_only"],
    ["SELECT count() FROM numbers(1000000000000)", "read_only", "read_only"],
    ["SELECT count() FROM system.numbers", "forbidden_table", "limit_exceeded"],
    ["SELECT name FROM default.some_table", "access_denied", "access_denied"],
    ["SELECT count() FROM hindsight.predictions", "access_denied", "access_denied"],
    // Two different calls (one `sleep(2)` twice is computed once): 4.5 s against the test profile's 3 s.
    ["SELECT sleep(2) + sleep(2.5)", "timeout", "timeout"],
    ["SELECT uniqExact(a) FROM (SELECT arrayJoin(range(100000000)) AS a)", "limit_exceeded", "limit_exceeded"],
    ["SELECT a, count() FROM (SELECT arrayJoin(range(50000000)) AS a) GROUP BY a", "limit_exceeded", "limit_exceeded"],
    ["SELECT 1; DROP TABLE predictions", "multiple_statements", "sql_error"],
    ["SELECT 1 /* ; */; DROP TABLE predictions", "multiple_statements", "sql_error"],
    ["SELECT 1 -- harmless\n; DROP TABLE predictions", "multiple_statements", "sql_error"],
    ["SELECT 1 INTO OUTFILE 'stolen.tsv'", "forbidden_clause", "sql_error"],
  ];

  describe("attacks through the endpoint", () => {
    it.each(attacks)("%j is answered with %s", async (query, code) => {
      const res = await sqlPost(query);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(10);
    });

    it("refuses the system tables, however the name is written", async () => {
      for (const query of ["SELECT * FROM system.processes", "SELECT * FROM `system`.tables", 'SELECT * FROM "system".parts', "SELECT * FROM `sys\\x74em`.settings"]) {
        const res = await sqlPost(query);
        expect([res.status, res.body.error.code], query).toEqual([400, "forbidden_table"]);
      }
    });
  });

  describe("the same attacks straight to ClickHouse as the analyst user, without the endpoint's check", () => {
    it.each(attacks)("%j is refused by ClickHouse itself (%s, then %s)", async (query, _endpointCode, code) => {
      const err = await direct.unchecked(query).then(
        (answer) => new Error(`ClickHouse ran it: ${answer.slice(0, 200)}`),
        (e: Error) => e,
      );
      expect(err).toMatchObject({ code });
    });

    it("pins the limits in the profile: readonly=1, and no query or URL parameter can lift them", async () => {
      const settings = await direct.unchecked("SELECT name, value FROM system.settings WHERE name IN ('readonly', 'max_execution_time', 'max_memory_usage', 'max_result_rows', 'max_rows_to_read', 'max_threads') ORDER BY name");
      expect(settings.trim().split("\n").map((l) => l.split("\t"))).toEqual([
        ["max_execution_time", "3"],
        ["max_memory_usage", "1000000000"],
        ["max_result_rows", "100001"],
        ["max_rows_to_read", "500000000"],
        ["max_threads", "1"],
        ["readonly", "1"],
      ]);
      const viaUrl = await fetch(`${p.stack.config.clickhouse.url}/?user=${ANALYST_TEST_USER}&database=${db}&max_execution_time=1000&readonly=0`, { method: "POST", body: "SELECT 1" });
      expect(viaUrl.status).toBeGreaterThanOrEqual(400);
      expect(await viaUrl.text()).toMatch(/readonly mode/);
    });
  });

  it("keeps ingesting after the attacks, with nothing written or dropped by them", async () => {
    const before = await count(p.stack, "prediction_events");
    expect(before).toBe(300);
    expect((await postJson(`${p.gateway.url}/v1/predictions`, Array.from({ length: 50 }, (_, i) => prediction(1000 + i)))).status).toBe(202);
    await waitForProcessor(p.stack);
    await waitUntil("the new predictions", () => count(p.stack, "prediction_events"), (n) => n === 350);
    const tables = await sqlPost("SELECT count() FROM predictions FINAL");
    expect(tables.body.rows).toEqual([["350"]]);
  });
});
