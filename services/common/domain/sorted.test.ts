import { describe, expect, it } from "vitest";
import { countAtOrBelow } from "./sorted.js";

describe("countAtOrBelow", () => {
  it("counts the values at or below x, equals included", () => {
    const sorted = [1, 2, 2, 5];
    expect([0, 1, 2, 3, 5, 9].map((x) => countAtOrBelow(sorted, x))).toEqual([0, 1, 3, 3, 4, 4]);
    expect(countAtOrBelow([], 1)).toBe(0);
    expect(countAtOrBelow(Float32Array.of(0.5, 1.5), 1)).toBe(1);
  });
});
