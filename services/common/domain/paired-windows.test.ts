import { describe, expect, it } from "vitest";
import { pairSlackSeconds, pairWindows } from "./paired-windows.js";

const HOUR = 3600;
const T = Date.UTC(2026, 10, 1, 12, 0, 0); // 12:00, a window start for hours and minutes alike

describe("pair windows", () => {
  it("allows five minutes between variants, or the base window when shorter", () => {
    expect(pairSlackSeconds(HOUR)).toBe(300);
    expect(pairSlackSeconds(60)).toBe(60);
  });

  it("touches only its own window when the slack before it stays inside", () => {
    // 12:10 − 5 min = 12:05, still in the 12:00 hour.
    expect(pairWindows(T + 10 * 60_000, HOUR)).toEqual([T / 1000]);
  });

  it("touches the window before too when a variant five minutes earlier would fall there", () => {
    // 12:03 − 5 min = 11:58: a pair whose earlier variant came at 11:58 belongs to the 11:00 window.
    expect(pairWindows(T + 3 * 60_000, HOUR)).toEqual([T / 1000 - HOUR, T / 1000]);
    // One-minute windows: 12:00:30 − 60 s = 11:59:30.
    expect(pairWindows(T + 30_000, 60)).toEqual([T / 1000 - 60, T / 1000]);
  });
});
