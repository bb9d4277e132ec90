import { describe, expect, it } from "vitest";
import { countAtOrBelow, firstAtOrAbove } from "./sorted.js";

describe("countAtOrBelow", () => {
  it("counts the values at or below x, equals included", () => {
    const sorted = [1, 2, 2, 5];
    expect([0, 1, 2, 3, 5, 9].map((x) => countAtOrBelow(sorted, x))).toEqual([0, 1, 3, 3, 4, 4]);
    expect(countAtOrBelow([], 1)).toBe(0);
    expect(countAtOrBelow(Float32Array.of(0.5, 1.5), 1)).toBe(1);
  });
});

describe("firstAtOrAbove", () => {
  it("gives the first index at or above x (the count below it), and sends NaN past the end", () => {
    const edges = [1, 2, 2, 5];
    expect([0, 1, 1.5, 2, 3, 5, 9].map((x) => firstAtOrAbove(edges, x))).toEqual([0, 0, 1, 1, 3, 3, 4]);
    expect(firstAtOrAbove(edges, Number.NaN)).toBe(4);
    expect(firstAtOrAbove([], 1)).toBe(0);
  });
});
