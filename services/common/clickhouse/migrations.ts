/**
 * Numbered SQL migrations (infra/clickhouse/migrations/NNN_name.sql), applied in order, each once,
 * and recorded in `<db>.schema_migrations`. Statements are written with IF NOT EXISTS so that two
 * processes migrating at the same moment, or a crash between a statement and its record, are
 * harmless. `{{db}}` in a file stands for the configured database name (a checked identifier).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, raw, sql } from "./sql.js";

const MIGRATIONS_DIR = new URL("../../../infra/clickhouse/migrations/", import.meta.url);

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

export function loadMigrations(database: string, dir: URL = MIGRATIONS_DIR): Migration[] {
  ident(database);
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(new URL(file, dir), "utf8");
      return {
        version: Number(file.slice(0, 3)),
        name: file.replace(/\.sql$/, ""),
        checksum: createHash("sha256").update(text).digest("hex").slice(0, 16),
        statements: splitStatements(text.replaceAll("{{db}}", database)),
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

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** An applied migration's file no longer matches what was applied. */
export class MigrationChangedError extends Error {
  override readonly name = "MigrationChangedError";
}

export async function migrate(ch: ClickHouse, migrations = loadMigrations(ch.database)): Promise<MigrationResult> {
  const db = ident(ch.database);
  await ch.command(sql`CREATE DATABASE IF NOT EXISTS ${db}`);
  const table = ident(`${ch.database}.schema_migrations`);
  await ch.command(
    sql`CREATE TABLE IF NOT EXISTS ${table} (version UInt32, name String, checksum String, applied_at DateTime DEFAULT now())
        ENGINE = ReplacingMergeTree ORDER BY version`,
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
