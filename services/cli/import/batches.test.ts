import { describe, expect, it } from "vitest";
import { Batcher, bodyOf, halves } from "./batches.js";

describe("import batches", () => {
  it("closes a batch at the item limit", () => {
    const b = new Batcher(1_000_000, 3);
    const closed = ["1", "2", "3", "4", "5", "6", "7"].map((x, i) => b.add(`{"n":${x}}`, i + 2)).filter((c) => c !== undefined);
    expect(closed.map((c) => c.lines)).toEqual([
      [2, 3, 4],
      [5, 6, 7],
    ]);
    expect(b.take().lines).toEqual([8]);
    expect(b.size).toBe(0);
  });

  it("closes a batch before its body would pass the byte limit, counting brackets, commas and UTF-8", () => {
    // Each item is 10 bytes ("é" is 2 bytes in UTF-8): [a,b] is 2 + 10 + 1 + 10 = 23 bytes.
    const item = '{"v":"éé"}';
    expect(Buffer.byteLength(item)).toBe(12);
    const b = new Batcher(2 + 12 + 1 + 12, 100);
    expect(b.add(item, 1)).toBeUndefined();
    expect(b.add(item, 2)).toBeUndefined();
    const closed = b.add(item, 3)!;
    expect(closed.lines).toEqual([1, 2]);
    expect(closed.bytes).toBe(27);
    expect(Buffer.byteLength(bodyOf(closed))).toBe(27);
    expect(JSON.parse(bodyOf(closed))).toEqual([{ v: "éé" }, { v: "éé" }]);
  });

  it("says whether an event fits a body alone", () => {
    const b = new Batcher(12, 10);
    expect(b.fits('{"a":12345}')).toBe(false); // 11 + 2 brackets
    expect(b.fits('{"a":1234}')).toBe(true);
  });

  it("halves a batch with each item's line and the halves' exact sizes", () => {
    const b = new Batcher(1_000_000, 10);
    for (const [i, s] of ["a", "bb", "ccc", "dddd", "eeeee"].entries()) b.add(JSON.stringify(s), i + 10);
    const [first, second] = halves(b.take());
    expect(first.lines).toEqual([10, 11, 12]);
    expect(second.lines).toEqual([13, 14]);
    for (const h of [first, second]) expect(h.bytes).toBe(Buffer.byteLength(bodyOf(h)));
  });
});
