import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadMigrations, replicatedDatabaseSql, replicatedEngines, splitStatements } from "./migrations.js";

describe("splitStatements", () => {
  it("splits on semicolons that end a line and drops comment lines", () => {
    const text = [
      "-- a header comment; with a semicolon in it",
      "CREATE TABLE a",
      "  -- an indented comment inside a statement",
      "(x String);",
      "",
      "SELECT 'a;b' FROM t;   ",
      "SELECT 1; SELECT 2",
    ].join("\n");
    expect(splitStatements(text)).toEqual(["CREATE TABLE a\n(x String)", "SELECT 'a;b' FROM t", "SELECT 1; SELECT 2"]);
  });

  it("returns nothing for comments and whitespace only", () => {
    expect(splitStatements("-- only a comment\n\n   \n-- another;\n")).toEqual([]);
  });
});

describe("loadMigrations", () => {
  const dir = new URL("../../../infra/clickhouse/migrations/", import.meta.url);

  it("numbers the real migrations 1, 2, 3, … in order", () => {
    const migrations = loadMigrations("some_db");
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations[0]!.name).toBe("001_raw_events");
  });

  it("substitutes the database everywhere and creates only idempotently (IF NOT EXISTS, or a view OR REPLACE)", () => {
    for (const m of loadMigrations("some_db")) {
      expect(m.statements.length).toBeGreaterThan(0);
      for (const s of m.statements) {
        expect(s).not.toMatch(/\{\{|\}\}/);
        expect(s).not.toMatch(/^--/m);
        if (/^\s*CREATE\b/i.test(s))
          expect(s).toMatch(
            /^\s*CREATE\s+(OR REPLACE VIEW\s+|(TABLE|VIEW|MATERIALIZED VIEW|DATABASE|DICTIONARY)\s+IF NOT EXISTS\s+)some_db\./i,
          );
      }
    }
    const first = loadMigrations("some_db")[0]!.statements;
    expect(first.filter((s) => /^CREATE/.test(s)).map((s) => /^CREATE \w+ IF NOT EXISTS (\S+)/.exec(s)?.[1])).toEqual([
      "some_db.predictions",
      "some_db.labels",
      "some_db.prediction_events",
      "some_db.label_events",
    ]);
  });

  it("checksums the file text, stable across calls and databases", () => {
    const a = loadMigrations("some_db");
    const b = loadMigrations("other_db");
    expect(b.map((m) => m.checksum)).toEqual(a.map((m) => m.checksum));
    const file = readFileSync(new URL("001_raw_events.sql", dir), "utf8");
    expect(a[0]!.checksum).toBe(createHash("sha256").update(file).digest("hex").slice(0, 16));
  });

  it("reads only NNN_name.sql files, sorted by number", () => {
    const tmp = mkdtempSync(join(tmpdir(), "hindsight-migrations-"));
    try {
      writeFileSync(join(tmp, "002_second.sql"), "CREATE TABLE IF NOT EXISTS {{db}}.b (x UInt8) ENGINE = Memory;\n");
      writeFileSync(join(tmp, "001_first.sql"), "CREATE TABLE IF NOT EXISTS {{db}}.a (x UInt8) ENGINE = Memory;\n");
      writeFileSync(join(tmp, "README.md"), "not a migration");
      writeFileSync(join(tmp, "3_short.sql"), "SELECT 1;");
      writeFileSync(join(tmp, "004_Upper.sql"), "SELECT 1;");
      const migrations = loadMigrations("db1", pathToFileURL(`${tmp}/`));
      expect(migrations.map((m) => [m.version, m.name, m.statements])).toEqual([
        [1, "001_first", ["CREATE TABLE IF NOT EXISTS db1.a (x UInt8) ENGINE = Memory"]],
        [2, "002_second", ["CREATE TABLE IF NOT EXISTS db1.b (x UInt8) ENGINE = Memory"]],
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("refuses a database name that is not an identifier", () => {
    expect(() => loadMigrations("bad-name")).toThrow(/bad-name/);
    expect(() => loadMigrations("x; DROP DATABASE y")).toThrow();
  });
});

describe("the replicated variant", () => {
  it("names every MergeTree engine's Replicated counterpart and keeps the engine's own arguments", () => {
    expect(replicatedEngines("CREATE TABLE a (x UInt8) ENGINE = ReplacingMergeTree(v) ORDER BY x")).toBe(
      "CREATE TABLE a (x UInt8) ENGINE = ReplicatedReplacingMergeTree(v) ORDER BY x",
    );
    expect(replicatedEngines("CREATE TABLE a (x UInt8)\nENGINE = MergeTree\nORDER BY x")).toBe(
      "CREATE TABLE a (x UInt8)\nENGINE = ReplicatedMergeTree\nORDER BY x",
    );
    expect(replicatedEngines("CREATE TABLE a (x UInt8) ENGINE=SummingMergeTree ORDER BY x")).toBe(
      "CREATE TABLE a (x UInt8) ENGINE = ReplicatedSummingMergeTree ORDER BY x",
    );
    // A column or view that merely mentions an engine's name is left alone.
    expect(replicatedEngines("SELECT 'ReplacingMergeTree' AS engine_name")).toBe("SELECT 'ReplacingMergeTree' AS engine_name");
  });

  it("replicates every table of the real migrations and changes nothing else", () => {
    const plain = loadMigrations("some_db");
    const replicated = loadMigrations("some_db", undefined, { replicated: true });
    expect(replicated.map((m) => m.checksum)).toEqual(plain.map((m) => m.checksum));
    let engines = 0;
    plain.forEach((m, i) => {
      m.statements.forEach((statement, j) => {
        const other = replicated[i]!.statements[j]!;
        engines += (statement.match(/ENGINE = \w*MergeTree/g) ?? []).length;
        expect(other).not.toMatch(/ENGINE\s*=\s*(?!Replicated)\w*MergeTree/);
        expect(other.replaceAll(/ENGINE = Replicated(\w*MergeTree)/g, "ENGINE = $1")).toBe(statement);
      });
    });
    // Counted in the files themselves: 37 ReplacingMergeTree, 3 MergeTree, 1 SummingMergeTree.
    expect(engines).toBe(43);
  });

  it("creates a Replicated database under a checked Keeper path, at a path of its own", () => {
    expect(replicatedDatabaseSql("hindsight", "/clickhouse/databases").text).toBe(
      "CREATE DATABASE IF NOT EXISTS `hindsight` ENGINE = Replicated('/clickhouse/databases/hindsight', '{shard}', '{replica}')",
    );
    for (const bad of ["", "relative/path", "/a'b", "/a/", "/a b", "/{shard}"])
      expect(() => replicatedDatabaseSql("hindsight", bad)).toThrow(/not a Keeper path/);
  });
});
