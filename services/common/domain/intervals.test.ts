import { describe, expect, it } from "vitest";
import { wilsonInterval } from "./intervals.js";

describe("wilsonInterval", () => {
  it("matches values worked out by hand", () => {
    // 8 of 10 at 95 %: z = 1.959964; centre = (0.8 + z²/20)/(1 + z²/10) = 0.7167, half = 0.2264
    const [low, high] = wilsonInterval(8, 10, 0.95);
    expect(low).toBeCloseTo(0.4902, 4);
    expect(high).toBeCloseTo(0.9433, 4);
    // 0 of 20: the lower end is exactly 0, the upper z²/(n + z²) = 3.8415/23.8415
    const [l0, h0] = wilsonInterval(0, 20, 0.95);
    expect(l0).toBe(0);
    expect(h0).toBeCloseTo(0.16113, 5);
  });

  it("narrows as the sample grows and says nothing without data", () => {
    const small = wilsonInterval(4, 5);
    const large = wilsonInterval(800, 1000);
    expect(small[1] - small[0]).toBeGreaterThan(large[1] - large[0]);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
  });
});

describe("wilsonInterval confidence levels", () => {
  it("refuses a level it has no exact quantile for", () => {
    expect(() => wilsonInterval(1, 2, 0.8)).toThrow(/confidence must be one of/);
  });
});
