import { describe, expect, it } from "vitest";
import { ident, join, list, literal, quoteString, raw, sql } from "./sql.js";

describe("sql escaping", () => {
  it("escapes quotes, backslashes and control characters in strings", () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString("a\\b")).toBe("'a\\\\b'");
    expect(quoteString("line\nbreak\ttab\0nul")).toBe("'line\\nbreak\\ttab\\0nul'");
    // An attempt to close the literal and append a statement stays inside the literal.
    expect(quoteString("x'; DROP TABLE t; --")).toBe("'x\\'; DROP TABLE t; --'");
  });

  it("renders numbers, booleans, null, dates and arrays", () => {
    expect(literal(42)).toBe("42");
    expect(literal(-1.5)).toBe(" -1.5");
    expect(literal(-3n)).toBe(" -3");
    // Found by the fuzz test: without the space, a subtraction of a negative value became a comment.
    expect(sql`SELECT 1-${-1}, 2`.text).toBe("SELECT 1- -1, 2");
    expect(literal(10n)).toBe("10");
    expect(literal(true)).toBe("1");
    expect(literal(null)).toBe("NULL");
    expect(literal(new Date(Date.UTC(2026, 10, 23, 10, 0, 0, 999)))).toBe("toDateTime(1795428000)");
    expect(literal(["a", 1, null])).toBe("['a', 1, NULL]");
  });

  it("refuses values that have no faithful SQL form", () => {
    expect(() => literal(Number.NaN)).toThrow(/non-finite/);
    expect(() => literal(Number.POSITIVE_INFINITY)).toThrow(/non-finite/);
    expect(() => literal(new Date(Number.NaN))).toThrow(/invalid Date/);
  });

  it("only accepts whitelisted identifiers", () => {
    expect(sql`SELECT * FROM ${ident("hindsight.predictions")}`.text).toBe("SELECT * FROM `hindsight`.`predictions`");
    expect(() => ident("t; DROP")).toThrow(/refusing/);
    expect(() => ident("a.b.c")).toThrow(/refusing/);
    expect(() => ident("`x`")).toThrow(/refusing/);
    expect(() => ident("")).toThrow(/refusing/);
  });

  it("composes fragments and values", () => {
    const conds = [sql`model_id = ${"fraud"}`, sql`stage = ${"it's"}`];
    const q = sql`SELECT count() FROM t WHERE ${join(conds, " AND ")} LIMIT ${10}${raw("")}`;
    expect(q.text).toBe("SELECT count() FROM t WHERE model_id = 'fraud' AND stage = 'it\\'s' LIMIT 10");
  });

  it("renders IN lists and refuses empty ones", () => {
    expect(sql`x IN ${list(["a", "b'c", 3])}`.text).toBe("x IN ('a', 'b\\'c', 3)");
    expect(() => list([])).toThrow(/empty IN list/);
  });
});
