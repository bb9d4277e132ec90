import { describe, expect, it } from "vitest";
import { ident, inferType, join, list, listSlices, MAX_LIST_CHARS, raw, sql, typed } from "./sql.js";

describe("sql builder", () => {
  it("sends every value as a typed parameter, numbered in order, never as text", () => {
    const q = sql`SELECT * FROM t WHERE a = ${"it's"} AND b > ${-3} AND c < ${2.5} AND d = ${true} AND e IS ${null}`;
    expect(q.text).toBe(
      "SELECT * FROM t WHERE a = {p0:String} AND b > {p1:Int8} AND c < {p2:Float64} AND d = {p3:UInt8} AND e IS {p4:Nullable(String)}",
    );
    expect(q.params).toEqual({ p0: "it's", p1: -3, p2: 2.5, p3: 1, p4: null });
  });

  it("infers array, date and bigint types and refuses what has no faithful type", () => {
    expect(inferType(["a", "b"])).toBe("Array(String)");
    expect(inferType(300)).toBe("UInt16");
    expect(inferType(-129)).toBe("Int16");
    expect(inferType(1_790_812_800_000)).toBe("UInt64");
    expect(inferType(1.7e308)).toBe("Float64");
    expect(inferType([1, 2])).toBe("Array(UInt8)");
    expect(inferType([1, 300, -1])).toBe("Array(Int32)");
    expect(inferType([1, 2.5])).toBe("Array(Float64)");
    expect(inferType([[1], [2]])).toBe("Array(Array(UInt8))");
    expect(inferType(new Date(0))).toBe("DateTime64(3, 'UTC')");
    expect(inferType(2n ** 64n - 1n)).toBe("UInt64");
    expect(sql`${new Date(1_700_000_000_123)}`.params).toEqual({ p0: "1700000000.123" });
    expect(() => inferType(["a", 1])).toThrow(/mixed types/);
    expect(() => inferType([-1, 2n ** 63n])).toThrow(/beyond Int64/);
    expect(() => sql`${Number.NaN}`).toThrow(/non-finite/);
    expect(() => sql`${new Date(Number.NaN)}`).toThrow(/invalid Date/);
  });

  it("names a type only from ClickHouse type syntax", () => {
    expect(sql`x = ${typed(null, "Nullable(Float64)")}`.text).toBe("x = {p0:Nullable(Float64)}");
    expect(sql`x = ${typed("a", "Enum8('a' = 1)")}`.text).toBe("x = {p0:Enum8('a' = 1)}");
    expect(() => typed(1, "UInt8} OR 1 = 1 --")).toThrow(/refusing query parameter type/);
  });

  it("composes fragments, renumbering their parameters", () => {
    const where = join([sql`a = ${1}`, sql`b = ${"x"}`, raw("c > 0")], " AND ");
    const q = sql`SELECT ${ident("db.t")}.x FROM ${ident("db.t")} WHERE ${where} LIMIT ${10}`;
    expect(q.text).toBe("SELECT `db`.`t`.x FROM `db`.`t` WHERE a = {p0:UInt8} AND b = {p1:String} AND c > 0 LIMIT {p2:UInt8}");
    expect(q.params).toEqual({ p0: 1, p1: "x", p2: 10 });
  });

  it("sends an IN list as one Array parameter whatever its length, and refuses an empty one", () => {
    const short = sql`x IN ${list(["a"])}`;
    const long = sql`x IN ${list(Array.from({ length: 20_000 }, (_, i) => `w${i}`))}`;
    expect(long.text).toBe(short.text);
    expect(short.text).toBe("x IN {p0:Array(String)}");
    expect(sql`x IN ${list([1, 2], "UInt32")}`.text).toBe("x IN {p0:Array(UInt32)}");
    expect(() => list([])).toThrow(/empty IN list/);
  });

  it("refuses identifiers outside the whitelist", () => {
    for (const bad of ["a b", "a;b", "`a`", "a.b.c", "1a", "a-b", "sys\\Ntem", ""])
      expect(() => ident(bad)).toThrow(/refusing SQL identifier/);
  });
});

describe("listSlices", () => {
  it("cuts a list by count and by characters, in order, each value once", () => {
    const ids = Array.from({ length: 12 }, (_, i) => `id-${i}`);
    expect(listSlices(ids, 5)).toEqual([ids.slice(0, 5), ids.slice(5, 10), ids.slice(10)]);
    // 4-character values take 7 characters each with their quotes and comma: 3 fit in 21.
    expect(listSlices(["aaaa", "bbbb", "cccc", "dddd"], 100, 21)).toEqual([["aaaa", "bbbb", "cccc"], ["dddd"]]);
    expect(listSlices([], 5)).toEqual([]);
  });
  it("keeps 5,000 UUID-long ids under ClickHouse's 128 KiB per parameter even when percent-encoding triples them", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `${String(i).padStart(8, "0")}-7b3e-49d8-a9bf-ce83506edbbd`);
    const slices = listSlices(ids, 5000);
    expect(slices.flat()).toEqual(ids);
    for (const s of slices) expect(3 * s.reduce((n, v) => n + v.length + 3, 0)).toBeLessThanOrEqual(3 * MAX_LIST_CHARS);
    expect(3 * MAX_LIST_CHARS).toBeLessThan(128 * 1024);
    // A value longer than the budget still goes, alone.
    expect(listSlices(["x".repeat(50_000), "y"], 10)).toEqual([["x".repeat(50_000)], ["y"]]);
  });
});
