import { describe, expect, it } from "vitest";
import { z } from "zod";
import { flag, float, int, jsonText, numeric, parseRows, row, RowShapeError, str } from "./row-schema.js";

describe("row schemas", () => {
  it("reads 64-bit integers whether ClickHouse quotes them or not", () => {
    expect(int.parse("1733500000123")).toBe(1_733_500_000_123);
    expect(int.parse(42)).toBe(42);
    expect(int.parse("-7")).toBe(-7);
  });

  it("refuses integers that would round, and text that is not an integer", () => {
    // 2^53 + 1 is not representable: a kafka offset or a hash this large must stay a string.
    expect(int.safeParse("9007199254740993").success).toBe(false);
    expect(int.safeParse("12.5").success).toBe(false);
    expect(int.safeParse("").success).toBe(false);
    expect(int.safeParse(null).success).toBe(false);
    expect(int.safeParse(1.5).success).toBe(false);
  });

  it("reads a metric's value whether it is a quoted count or a ratio", () => {
    expect(numeric.parse("500")).toBe(500);
    expect(numeric.parse(0.25)).toBe(0.25);
    expect(numeric.safeParse("0.25").success).toBe(false);
  });

  it("reads UInt8 flags as booleans and refuses other values", () => {
    expect(flag.parse(1)).toBe(true);
    expect(flag.parse("0")).toBe(false);
    expect(flag.safeParse(2).success).toBe(false);
  });

  it("keeps a nan (null in ClickHouse's JSON) apart from a number", () => {
    expect(float.safeParse(null).success).toBe(false);
    expect(float.nullable().parse(null)).toBeNull();
  });

  it("parses JSON text and checks it", () => {
    const settings = jsonText(z.object({ hold: z.string() }));
    expect(settings.parse('{"hold":"15m"}')).toEqual({ hold: "15m" });
    expect(settings.safeParse("{not json").success).toBe(false);
    expect(settings.safeParse('{"hold":15}').success).toBe(false);
  });

  it("drops columns the shape does not name", () => {
    const shape = row({ a: int });
    expect(parseRows(shape, [{ a: "1", extra: "x" }], "SELECT a")).toEqual([{ a: 1 }]);
  });

  it("names the row, the column and the value found when a row has another shape", () => {
    const shape = row({ model_id: str, n: int });
    const rows = [
      { model_id: "m", n: "3" },
      { model_id: "m", n: "three" },
    ];
    expect(() => parseRows(shape, rows, "SELECT model_id,\n  count() AS n FROM t")).toThrowError(RowShapeError);
    expect(() => parseRows(shape, rows, "SELECT model_id,\n  count() AS n FROM t")).toThrowError(
      /row 1 of "SELECT model_id, count\(\) AS n FROM t": column n: .*\(found "three"\)/,
    );
    expect(() => parseRows(shape, [{ n: 1 }], "SELECT n")).toThrowError(/column model_id: .*\(found nothing\)/);
  });
});
