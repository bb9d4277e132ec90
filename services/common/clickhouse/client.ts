/**
 * Our small interface over @clickhouse/client. Only this folder imports the client library; the
 * rest of the code talks to `ClickHouse`.
 */
import { Readable } from "node:stream";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import type { z } from "zod";
import { parseRows } from "./row-schema.js";
import { ident, join, sql, type Sql } from "./sql.js";

export interface ClickHouse {
  readonly database: string;
  /** On a replicated cluster, the Keeper path under which the Replicated database lives; undefined on one server. */
  readonly replicatedPath?: string;
  /** DDL and other statements without a result. */
  command(statement: Sql): Promise<void>;
  /** A SELECT whose rows come back as objects (JSONEachRow), each parsed with `row` (row-schema.ts). */
  rows<S extends z.ZodType>(row: S, query: Sql): Promise<z.output<S>[]>;
  /** Inserts pre-serialised JSONEachRow text, given as chunks (or a stream) so no single string gets huge. */
  insertJsonEachRow(table: string, chunks: readonly string[] | NodeJS.ReadableStream): Promise<void>;
  /** Inserts RowBinary chunks (row-binary.ts) whose values follow `columns` in order. */
  insertRowBinary(table: string, columns: readonly string[], chunks: readonly Buffer[]): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ClickHouseOptions {
  url: string;
  user: string;
  password: string;
  database: string;
  /** A replicated cluster's Keeper path for databases (CLICKHOUSE_REPLICATED_PATH). */
  replicatedPath?: string;
  requestTimeoutMs?: number;
}

/**
 * On a replicated cluster every insert is acknowledged once a majority of replicas hold it, so an
 * acknowledged batch survives the loss of one. Quorum inserts stay parallel (the processor writes
 * a table from several partitions at once); reads see other processes' writes because the
 * services use one replica at a time (README, "On a ClickHouse cluster").
 */
export const REPLICATED_SETTINGS = { insert_quorum: "auto" } as const;

export function createClickHouse(options: ClickHouseOptions): ClickHouse {
  const client: ClickHouseClient = createClient({
    url: options.url,
    username: options.user,
    password: options.password,
    request_timeout: options.requestTimeoutMs ?? 60_000,
    // 64-bit integers as JSON strings (current releases default to numbers, which round past 2^53).
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      ...(options.replicatedPath === undefined ? {} : REPLICATED_SETTINGS),
    },
    compression: { request: false, response: true },
    // Failures surface as errors to our callers, who log them with context (and retry or not).
    log: { level: ClickHouseLogLevel.OFF },
  });
  /** An INSERT whose data is the request body; the (empty) response is drained so the socket goes back to the pool. */
  async function exec(statement: Sql, body: readonly (string | Buffer)[] | Readable): Promise<void> {
    const result = await client.exec({
      query: statement.text,
      values: Array.isArray(body) ? Readable.from(body, { objectMode: false }) : (body as Readable),
    });
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.on("end", resolve).on("error", reject);
    });
  }

  return {
    database: options.database,
    ...(options.replicatedPath === undefined ? {} : { replicatedPath: options.replicatedPath }),
    async command(statement) {
      await client.command({ query: statement.text, query_params: statement.params });
    },
    async rows(row, query) {
      const result = await client.query({ query: query.text, query_params: query.params, format: "JSONEachRow" });
      return parseRows(row, await result.json<unknown>(), query.text);
    },
    async insertJsonEachRow(table, chunks) {
      // The table name passes the identifier whitelist like every other name in SQL.
      await exec(sql`INSERT INTO ${ident(table)} FORMAT JSONEachRow`, chunks as readonly string[] | Readable);
    },
    async insertRowBinary(table, columns, chunks) {
      await exec(
        sql`INSERT INTO ${ident(table)} (${join(
          columns.map((c) => sql`${ident(c)}`),
          ", ",
        )}) FORMAT RowBinary`,
        chunks,
      );
    },
    async ping() {
      const r = await client.ping();
      return r.success;
    },
    close: () => client.close(),
  };
}
