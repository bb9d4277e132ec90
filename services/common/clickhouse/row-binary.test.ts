/**
 * RowBinary values against bytes worked out by hand from the format's rules (LEB128 lengths,
 * little-endian numbers, two's complement, IEEE 754 doubles, UTF-8).
 */
import { describe, expect, it } from "vitest";
import { RowBinaryWriter } from "./row-binary.js";

const hex = (write: (w: RowBinaryWriter) => void): string => {
  const w = new RowBinaryWriter(4);
  write(w);
  return w.take().toString("hex");
};

describe("RowBinaryWriter", () => {
  it("writes lengths as LEB128", () => {
    expect(hex((w) => w.varUInt(0))).toBe("00");
    expect(hex((w) => w.varUInt(127))).toBe("7f");
    expect(hex((w) => w.varUInt(128))).toBe("8001");
    // 300 = 0b10_0101100: low seven bits 0x2c with the continuation bit, then 0x02.
    expect(hex((w) => w.varUInt(300))).toBe("ac02");
    // 2^32 = 2^(7·4) · 16: four continuation bytes of zero, then 0x10.
    expect(hex((w) => w.varUInt(2 ** 32))).toBe("8080808010");
  });

  it("writes 64-bit integers little-endian in two's complement, and refuses unsafe ones", () => {
    expect(hex((w) => w.int64(1))).toBe("0100000000000000");
    expect(hex((w) => w.int64(-1))).toBe("ffffffffffffffff");
    // -2^32 - 1 = 0xFFFFFFFE_FFFFFFFF.
    expect(hex((w) => w.int64(-(2 ** 32) - 1))).toBe("fffffffffeffffff");
    // 1763892000999 = 0x19A_B027_F8E7.
    expect(hex((w) => w.int64(1763892000999))).toBe("e7f827b09a010000");
    expect(hex((w) => w.int64(Number.MAX_SAFE_INTEGER))).toBe("ffffffffffff1f00");
    expect(() => new RowBinaryWriter().int64(2 ** 53)).toThrow(RangeError);
    expect(() => new RowBinaryWriter().int64(1.5)).toThrow(RangeError);
  });

  it("writes UInt32, Int8 arrays and doubles", () => {
    expect(hex((w) => w.uint32(0x01020304))).toBe("04030201");
    expect(hex((w) => w.int8s([0, 3, -1]))).toBe("030003ff");
    // 1.5 = 0x3FF8000000000000; -0.1 = 0xBFB999999999999A.
    expect(hex((w) => w.float64(1.5))).toBe("000000000000f83f");
    expect(hex((w) => w.float64(-0.1))).toBe("9a9999999999b9bf");
    expect(hex((w) => w.float64s([1.5]))).toBe("01000000000000f83f");
  });

  it("writes strings as their UTF-8 bytes with the byte length first", () => {
    expect(hex((w) => w.string(""))).toBe("00");
    expect(hex((w) => w.string("ab"))).toBe("026162");
    // é is two bytes, the emoji four (a surrogate pair in JavaScript), a NUL one.
    expect(hex((w) => w.string("é"))).toBe("02c3a9");
    expect(hex((w) => w.string("😀"))).toBe("04f09f9880");
    expect(hex((w) => w.string("a\u0000b"))).toBe("03610062");
    const long = "x".repeat(200);
    expect(hex((w) => w.string(long))).toBe(`c801${"78".repeat(200)}`);
    const wide = "é".repeat(100);
    expect(hex((w) => w.string(wide))).toBe(`c801${"c3a9".repeat(100)}`);
  });

  it("writes a Nullable as a flag byte, then the value only when there is one", () => {
    expect(hex((w) => w.nullableFloat64(null))).toBe("01");
    expect(hex((w) => w.nullableFloat64(0))).toBe("000000000000000000");
    expect(hex((w) => w.nullableString(undefined))).toBe("01");
    expect(hex((w) => w.nullableString(""))).toBe("0000");
    expect(hex((w) => w.nullableInt64(2))).toBe("000200000000000000");
    expect(hex((w) => w.nullableFloat64s([null, 1.5]))).toBe("020100000000000000f83f");
    expect(hex((w) => w.nullableStrings(["a", null]))).toBe("02000161" + "01");
    expect(hex((w) => w.strings(["a", "bc"]))).toBe("020161026263");
  });

  it("grows past its first buffer and starts again after a take", () => {
    const w = new RowBinaryWriter(2);
    const big = "y".repeat(100_000);
    w.string(big);
    w.uint8(7);
    const out = w.take();
    expect(out.length).toBe(3 + 100_000 + 1);
    expect(out.subarray(0, 3).toString("hex")).toBe("a08d06");
    expect(out[out.length - 1]).toBe(7);
    expect(w.length).toBe(0);
    w.uint8(9);
    expect(w.take().toString("hex")).toBe("09");
    // A taken buffer is its own copy: writing again does not change it.
    expect(out[out.length - 1]).toBe(7);
  });
});
