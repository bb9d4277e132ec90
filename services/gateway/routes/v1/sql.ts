/**
 * POST /v1/sql (read): one SELECT from an analyst, run as the read-only ClickHouse user.
 *   body: {"query": "SELECT …", "limit"?: 1..100000} as JSON, or the query itself as text/plain
 *   200:  {columns: [{name, type}], rows: [[…]], rows_returned, truncated, elapsed_ms, rows_read, bytes_read}
 *   400:  {error: {code, message}}: not_a_select, multiple_statements, forbidden_clause, forbidden_table, forbidden_identifier,
 *         forbidden_function, read_only, access_denied, sql_error, limit_exceeded, timeout, …
 *   429 busy (the analysts' concurrent queries are used up), 503 unavailable.
 * A bad query is never a 500: everything ClickHouse refuses is classified in analyst-query.ts.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { GatewayContext } from "../../app.js";
import { AnalystQueryError, DEFAULT_SQL_LIMIT, MAX_SQL_LIMIT } from "../../../common/clickhouse/analyst-query.js";
import { parseOr400 } from "./params.js";
import { principalOf } from "../../auth.js";

/** Longest statement accepted; a real analyst query is a few kilobytes. */
export const MAX_SQL_CHARS = 100_000;

const SqlBody = z
  .object({
    query: z.string().min(1, "send one SELECT statement").max(MAX_SQL_CHARS, `at most ${MAX_SQL_CHARS} characters`),
    limit: z.number().int().min(1).max(MAX_SQL_LIMIT).default(DEFAULT_SQL_LIMIT),
  })
  .strict();

export function sqlRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { deps, requireScope } = ctx;

  app.register(async (scoped) => {
    // text/plain: the body is the query itself (curl --data-binary @query.sql).
    scoped.addContentTypeParser("text/plain", { parseAs: "string", bodyLimit: MAX_SQL_CHARS * 4 }, (_req, body, done) =>
      done(null, { query: body as string }),
    );

    scoped.post("/v1/sql", { preHandler: requireScope("read") }, async (request, reply) => {
      const body = parseOr400(SqlBody, request.body, reply);
      if (!body) return reply;
      if (!deps.analyst)
        return reply.code(503).send({ error: { code: "unavailable", message: "the SQL endpoint is not configured on this gateway" } });
      try {
        // A model-limited token's query sees only its models' rows (row filters of the scoped user).
        return await deps.analyst.query(body.query, body.limit, principalOf(request).modelFilter);
      } catch (err) {
        if (!(err instanceof AnalystQueryError)) throw err;
        if (err.status === 429) void reply.header("retry-after", "5");
        if (err.status === 503) void reply.header("retry-after", "10");
        return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
      }
    });
  });
}
