/**
 * Runs analysts' SQL as the read-only ClickHouse user. The user's profile (infra/clickhouse/users.xml)
 * is the security boundary: readonly=1, one database, time / memory / rows-read / result limits
 * that a query cannot lift, one thread, two queries at a time. Here the statement is checked for a
 * clear 400 (analyst-guard.ts), wrapped in a subquery that applies the row cap, and ClickHouse's
 * refusals are turned into codes an analyst can act on.
 */
import { randomUUID } from "node:crypto";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { checkAnalystSql, type GuardCode } from "./analyst-guard.js";

export const DEFAULT_SQL_LIMIT = 10_000;
/** Matches the profile's max_result_rows (100,001: the cap plus the row that tells a cut answer). */
export const MAX_SQL_LIMIT = 100_000;

export interface AnalystAnswer {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  rows_returned: number;
  truncated: boolean;
  elapsed_ms: number;
  rows_read: number;
  bytes_read: number;
}

export type AnalystErrorCode =
  | GuardCode
  | "bad_request"
  | "read_only"
  | "access_denied"
  | "limit_exceeded"
  | "timeout"
  | "busy"
  | "unavailable";

export class AnalystQueryError extends Error {
  override readonly name = "AnalystQueryError";
  constructor(
    readonly code: AnalystErrorCode,
    message: string,
    /** 400 for a query to fix; 429 when the analysts' concurrency is used up; 503 when ClickHouse is not there. */
    readonly status: 400 | 429 | 503 = 400,
  ) {
    super(message);
  }
}

export interface AnalystSql {
  /**
   * Checks, caps and runs one SELECT; throws AnalystQueryError for anything the analyst should see.
   * With a list of models the query runs as the scoped user and sees only those models' rows.
   */
  query(text: string, limit?: number, models?: readonly string[] | "all"): Promise<AnalystAnswer>;
  /**
   * Sends a statement exactly as written, without the check or the wrapper, and returns ClickHouse's
   * answer as text: for tests that prove the ClickHouse user itself refuses what the check catches.
   */
  unchecked(statement: string): Promise<string>;
  close(): Promise<void>;
}

export interface AnalystSqlOptions {
  url: string;
  user: string;
  password: string;
  database: string;
  requestTimeoutMs?: number;
  /**
   * For model-limited callers: the scoped user (users.xml `analyst_scoped`: row filters on every
   * table it reads) and how to record, as a writing user, which models a query id may see.
   * Without it a model-limited query is refused (503), never run unfiltered.
   */
  scoped?: { user: string; password: string; grant(queryId: string, models: readonly string[]): Promise<void> };
}

// ClickHouse error codes, stable across 18.16 and current releases.
const CODES: Record<number, AnalystErrorCode> = {
  164: "read_only", // READONLY: writes, DDL, SET, SETTINGS, table functions
  291: "access_denied", // DATABASE_ACCESS_DENIED (18.16)
  497: "access_denied", // ACCESS_DENIED (current releases)
  159: "timeout", // TIMEOUT_EXCEEDED
  158: "limit_exceeded", // TOO_MANY_ROWS (max_rows_to_read)
  160: "limit_exceeded", // TOO_SLOW
  241: "limit_exceeded", // MEMORY_LIMIT_EXCEEDED
  307: "limit_exceeded", // TOO_MANY_BYTES
  396: "limit_exceeded", // TOO_MANY_ROWS_OR_BYTES (max_result_rows / bytes)
  202: "busy", // TOO_MANY_SIMULTANEOUS_QUERIES (max_concurrent_queries_for_user)
};
// Authentication failures mean the gateway is misconfigured, not that the query is wrong.
const MISCONFIGURED = new Set([192, 193, 194, 516]);

const MAX_MESSAGE = 600;

/** ClickHouse's message without the exception class, build details or anything past the first line. */
export function trimServerMessage(text: string): { code: number | undefined; message: string } {
  const m = /Code: (\d+)[.,]\s*(?:e\.displayText\(\) = )?(?:DB::Exception: )?([\s\S]*)/.exec(text);
  let message = (m ? m[2]! : text)
    .replace(/, e\.what\(\) = [\s\S]*$/, "")
    .replace(/\s*\((?:version|Stack trace)[\s\S]*$/, "")
    .replace(/\s*Stack trace:[\s\S]*$/, "")
    .trim();
  message = message.replace(/\.? \([A-Z][A-Z0-9_]{2,}\)$/, "");
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  return { code: m ? Number(m[1]) : undefined, message };
}

export function classify(err: unknown): AnalystQueryError {
  const raw = err instanceof Error ? err.message : String(err);
  const known = err as { code?: unknown };
  const parsed = trimServerMessage(raw);
  const code = typeof known.code === "string" && /^\d+$/.test(known.code) ? Number(known.code) : parsed.code;
  if (code === undefined) {
    // No ClickHouse code: the server did not answer (refused, reset, timed out).
    return new AnalystQueryError("unavailable", "ClickHouse did not answer the query; try again shortly", 503);
  }
  if (MISCONFIGURED.has(code))
    return new AnalystQueryError(
      "unavailable",
      "the analysts' ClickHouse user is not set up on this server (CLICKHOUSE_ANALYST_USER)",
      503,
    );
  const kind = CODES[code] ?? "sql_error";
  const hint: Partial<Record<AnalystErrorCode, string>> = {
    read_only: " (this endpoint is read-only: only SELECT, no settings, no table functions)",
    timeout: " (narrow the query: filter on model_id and a time range)",
    limit_exceeded: " (narrow the query or aggregate more: the analysts' limits are fixed)",
  };
  return new AnalystQueryError(kind, `${parsed.message}${hint[kind] ?? ""}`, kind === "busy" ? 429 : 400);
}

interface JsonCompact {
  meta: Array<{ name: string; type: string }>;
  data: unknown[][];
  statistics?: { elapsed: number; rows_read: number; bytes_read: number };
}

export function createAnalystSql(options: AnalystSqlOptions): AnalystSql {
  const client = connect(options.user, options.password);
  const scopedClient = options.scoped ? connect(options.scoped.user, options.scoped.password) : undefined;
  function connect(username: string, password: string) {
    return createClient({
      url: options.url,
      username,
      password,
      database: options.database,
      // The profile's max_execution_time ends a query long before this.
      request_timeout: options.requestTimeoutMs ?? 120_000,
      // wait_end_of_query: a limit hit mid-answer comes back as an error, not as half a JSON document.
      // It is an HTTP parameter, not a setting, so readonly=1 allows it.
      clickhouse_settings: { wait_end_of_query: 1 },
      compression: { request: false, response: false },
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  async function run(statement: string, models: readonly string[] | "all"): Promise<JsonCompact> {
    // The query id is the key of the scoped user's row filters: random, set here, never the analyst's.
    const queryId = `analyst-${randomUUID()}`;
    let via = client;
    if (models !== "all") {
      if (!options.scoped || !scopedClient)
        throw new AnalystQueryError(
          "unavailable",
          "SQL for model-limited tokens is not configured on this gateway (CLICKHOUSE_ANALYST_SCOPED_USER)",
          503,
        );
      if (models.length === 0) throw new AnalystQueryError("access_denied", "this token may read no model");
      await options.scoped.grant(queryId, models);
      via = scopedClient;
    }
    try {
      const result = await via.query({ query: statement, format: "JSONCompact", query_id: queryId });
      return (await result.json()) as unknown as JsonCompact;
    } catch (err) {
      throw classify(err);
    }
  }

  const answer = (r: JsonCompact, limit: number): AnalystAnswer => {
    const truncated = r.data.length > limit;
    const rows = truncated ? r.data.slice(0, limit) : r.data;
    return {
      columns: r.meta.map((c) => ({ name: c.name, type: c.type })),
      rows,
      rows_returned: rows.length,
      truncated,
      elapsed_ms: Math.round((r.statistics?.elapsed ?? 0) * 1e6) / 1e3,
      rows_read: Number(r.statistics?.rows_read ?? 0),
      bytes_read: Number(r.statistics?.bytes_read ?? 0),
    };
  };

  return {
    async query(text, limit = DEFAULT_SQL_LIMIT, models = "all") {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SQL_LIMIT)
        throw new AnalystQueryError("bad_request", `limit must be a whole number from 1 to ${MAX_SQL_LIMIT}`);
      const checked = checkAnalystSql(text);
      if (!checked.ok) throw new AnalystQueryError(checked.code, checked.message);
      // The statement becomes a subquery on lines of its own: a trailing `--` comment ends at the
      // newline, and FORMAT, INTO OUTFILE or a second statement that slipped past the check is a
      // syntax error inside parentheses. One row beyond the limit tells whether the answer was cut.
      return answer(await run(`SELECT * FROM (\n${checked.query}\n) LIMIT ${limit + 1}`, models), limit);
    },
    async unchecked(statement) {
      try {
        const { stream } = await client.exec({ query: statement, query_id: `analyst-${randomUUID()}` });
        let text = "";
        for await (const chunk of stream) text += String(chunk);
        return text;
      } catch (err) {
        throw classify(err);
      }
    },
    close: async () => {
      await client.close();
      await scopedClient?.close();
    },
  };
}
