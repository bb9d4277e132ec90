/**
 * Numbered SQL migrations (infra/clickhouse/migrations/NNN_name.sql), applied in order, each once,
 * and recorded in `<db>.schema_migrations`. Statements are written with IF NOT EXISTS so that two
 * processes migrating at the same moment, or a crash between a statement and its record, are
 * harmless. `{{db}}` in a file stands for the configured database name (a checked identifier).
 *
 * On a replicated cluster (CLICKHOUSE_REPLICATED_PATH) the database is a Replicated one, which
 * carries every CREATE and ALTER to each replica, and each MergeTree table becomes its Replicated
 * counterpart, which carries the rows: a Replicated database does not convert engines by itself.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, raw, type Sql, sql } from "./sql.js";

const MIGRATIONS_DIR = new URL("../../../infra/clickhouse/migrations/", import.meta.url);

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

export function loadMigrations(database: string, dir: URL = MIGRATIONS_DIR, options: { replicated?: boolean } = {}): Migration[] {
  ident(database);
  const engines = options.replicated ? replicatedEngines : (s: string) => s;
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(new URL(file, dir), "utf8");
      return {
        version: Number(file.slice(0, 3)),
        name: file.replace(/\.sql$/, ""),
        checksum: createHash("sha256").update(text).digest("hex").slice(0, 16),
        statements: splitStatements(text.replaceAll("{{db}}", database)).map(engines),
      };
    });
}

/** Splits on semicolons that end a line; strips `--` comment lines. */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split("\n")
        .filter((line) => !line.trim().startsWith("--"))
        .join("\n")
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/**
 * `ENGINE = ReplacingMergeTree(v)` → `ENGINE = ReplicatedReplacingMergeTree(v)`, and so for every
 * MergeTree engine. Without arguments of its own a Replicated engine inside a Replicated database
 * takes its Keeper path from the table's UUID and the `{shard}` and `{replica}` macros.
 */
export function replicatedEngines(statement: string): string {
  return statement.replace(
    /\bENGINE\s*=\s*(Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing)?MergeTree\b/g,
    "ENGINE = Replicated$1MergeTree",
  );
}

/**
 * The Replicated database, at `<keeperPath>/<database>` so that two databases of one cluster (a
 * demo beside production, the tests' own) never share a path. The path is checked, as DDL takes
 * no query parameters.
 */
export function replicatedDatabaseSql(database: string, keeperPath: string): Sql {
  if (!KEEPER_PATH.test(keeperPath)) throw new Error(`not a Keeper path: ${JSON.stringify(keeperPath)} (expected ${KEEPER_PATH})`);
  return sql`CREATE DATABASE IF NOT EXISTS ${ident(database)} ENGINE = Replicated(${raw(`'${keeperPath}/${database}'`)}, '{shard}', '{replica}')`;
}

export const KEEPER_PATH = /^(\/[A-Za-z0-9_.-]+)+$/;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** An applied migration's file no longer matches what was applied. */
export class MigrationChangedError extends Error {
  override readonly name = "MigrationChangedError";
}

export async function migrate(
  ch: ClickHouse,
  migrations = loadMigrations(ch.database, undefined, { replicated: ch.replicatedPath !== undefined }),
): Promise<MigrationResult> {
  const db = ident(ch.database);
  await ch.command(
    ch.replicatedPath === undefined ? sql`CREATE DATABASE IF NOT EXISTS ${db}` : replicatedDatabaseSql(ch.database, ch.replicatedPath),
  );
  const table = ident(`${ch.database}.schema_migrations`);
  const engine = raw(ch.replicatedPath === undefined ? "ReplacingMergeTree" : "ReplicatedReplacingMergeTree");
  await ch.command(
    sql`CREATE TABLE IF NOT EXISTS ${table} (version UInt32, name String, checksum String, applied_at DateTime DEFAULT now())
        ENGINE = ${engine} ORDER BY version`,
  );
  const done = await ch.rows(
    row({ version: int, checksum: str }),
    sql`SELECT version, any(checksum) AS checksum FROM ${table} GROUP BY version`,
  );
  const applied = new Map(done.map((r) => [r.version, r.checksum]));
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    const seen = applied.get(m.version);
    if (seen !== undefined) {
      if (seen !== m.checksum)
        throw new MigrationChangedError(
          `migration ${m.name} was changed after it was applied (checksum ${seen} → ${m.checksum}); add a new migration instead`,
        );
      result.skipped.push(m.name);
      continue;
    }
    for (const statement of m.statements) await ch.command(raw(statement));
    await ch.command(sql`INSERT INTO ${table} (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`);
    result.applied.push(m.name);
  }
  return result;
}
