import { describe, expect, it } from "vitest";
import { backoffMs } from "./delivery.js";

describe("backoffMs", () => {
  it("doubles from 1 s after each failure", () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
  });

  it("is capped at 60 s", () => {
    expect(backoffMs(7)).toBe(60_000); // 64 s uncapped
    expect(backoffMs(20)).toBe(60_000);
    expect(backoffMs(10_000)).toBe(60_000); // 2 ** 9999 is Infinity; still the cap
  });

  it("treats no failures yet as the first delay", () => {
    expect(backoffMs(0)).toBe(1000);
    expect(backoffMs(-3)).toBe(1000);
  });
});
