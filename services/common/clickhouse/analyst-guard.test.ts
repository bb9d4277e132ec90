import { describe, expect, it } from "vitest";
import { checkAnalystSql } from "./analyst-guard.js";
import { classify, trimServerMessage } from "./analyst-query.js";

describe("checkAnalystSql", () => {
  it.each([
    ["SELECT 1", "SELECT 1"],
    ["  select model_id FROM slice_metrics ;; ", "  select model_id FROM slice_metrics"],
    ["WITH 2 AS x SELECT x", "WITH 2 AS x SELECT x"],
    ["SELECT 'a;b', `c;d` -- a comment; with a semicolon\n;", "SELECT 'a;b', `c;d`"],
    ["SELECT format, settings FROM t WHERE into = 1", "SELECT format, settings FROM t WHERE into = 1"],
    ["SELECT 1.5e-3, 0x1F, a != b, [1, 2][1] FROM t", "SELECT 1.5e-3, 0x1F, a != b, [1, 2][1] FROM t"],
    ["SELECT 'it''s', 'back\\'slash'", "SELECT 'it''s', 'back\\'slash'"],
  ])("accepts %j", (query, kept) => {
    expect(checkAnalystSql(query)).toEqual({ ok: true, query: kept });
  });

  it.each([
    ["", "empty_query"],
    [" ; -- nothing\n", "empty_query"],
    ["INSERT INTO t VALUES (1)", "not_a_select"],
    ["DROP TABLE t", "not_a_select"],
    ["SET readonly = 0", "not_a_select"],
    ["(SELECT 1)", "not_a_select"],
    ["SELECT 1; DROP TABLE t", "multiple_statements"],
    ["SELECT 1 /* ; */ ; SELECT 2", "multiple_statements"],
    ["SELECT 1 FORMAT TabSeparated", "forbidden_clause"],
    ["SELECT 1 format JSON;", "forbidden_clause"],
    ["SELECT 1 SETTINGS readonly = 0", "forbidden_clause"],
    ["SELECT * FROM (SELECT 1 SETTINGS max_execution_time=1000)", "forbidden_clause"],
    ["SELECT 1 INTO OUTFILE 'x'", "forbidden_clause"],
    ["SELECT * FROM system.tables", "forbidden_table"],
    ["SELECT * FROM `system`.processes", "forbidden_table"],
    ['SELECT * FROM "system" . parts', "forbidden_table"],
    ["SELECT * FROM `sys\\x74em`.tables", "forbidden_identifier"],
    // ClickHouse drops an unknown escape's backslash where this lexer once read `\N` as N.
    ["SELECT user, query FROM `sys\\Ntem`.processes", "forbidden_identifier"],
    ['SELECT * FROM "a\\\\b"', "forbidden_identifier"],
    ["SELECT * FROM information_schema.tables", "forbidden_table"],
    ["SELECT * FROM INFORMATION_SCHEMA.COLUMNS", "forbidden_table"],
    ["SELECT hasColumnInTable('system', 'tables', 'name')", "forbidden_function"],
    ["SELECT joinGet('db.t', 'v', 1)", "forbidden_function"],
    ["SELECT 'unterminated", "sql_error"],
    ["SELECT 1 /* never closed", "sql_error"],
    ["SELECT 1) UNION ALL SELECT * FROM (SELECT 2", "sql_error"],
    ["SELECT (1", "sql_error"],
  ])("refuses %j as %s", (query, code) => {
    const r = checkAnalystSql(query);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeGreaterThan(10);
    }
  });
});

describe("ClickHouse errors for analysts", () => {
  it("keeps ClickHouse's message and drops the exception class, version and stack", () => {
    expect(
      trimServerMessage("Code: 164, e.displayText() = DB::Exception: Cannot execute SET query in readonly mode, e.what() = DB::Exception"),
    ).toEqual({
      code: 164,
      message: "Cannot execute SET query in readonly mode",
    });
    expect(trimServerMessage("Code: 60. DB::Exception: Table hs.x does not exist. (UNKNOWN_TABLE) (version 24.8.1.1)")).toEqual({
      code: 60,
      message: "Table hs.x does not exist",
    });
  });

  it.each([
    ["Code: 164, e.displayText() = DB::Exception: Cannot insert into table in readonly mode, e.what() = DB::Exception", "read_only", 400],
    [
      "Code: 291, e.displayText() = DB::Exception: Access denied to database default for user analyst, e.what() = DB::Exception",
      "access_denied",
      400,
    ],
    [
      "Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 3.0 seconds, maximum: 3, e.what() = DB::Exception",
      "timeout",
      400,
    ],
    ["Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded, e.what() = DB::Exception", "limit_exceeded", 400],
    ["Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 8, e.what() = DB::Exception", "sql_error", 400],
    ["Code: 202, e.displayText() = DB::Exception: Too many simultaneous queries for user analyst, e.what() = DB::Exception", "busy", 429],
    ["Code: 192, e.displayText() = DB::Exception: Unknown user analyst, e.what() = DB::Exception", "unavailable", 503],
    ["connect ECONNREFUSED 127.0.0.1:8123", "unavailable", 503],
  ])("classifies %j", (text, code, status) => {
    const err = classify(new Error(text));
    expect([err.code, err.status]).toEqual([code, status]);
    expect(err.message).not.toMatch(/DB::Exception|e\.what|127\.0\.0\.1/);
  });
});
