import { describe, expect, it } from "vitest";
import { apiBounds, axisSpan, coveringWindow, fromInput, parseRange, rangeParams, toInput } from "./range.js";

const NOW = Date.UTC(2026, 11, 6, 5, 37, 12);
const q = (s: string) => new URLSearchParams(s);

describe("time ranges", () => {
  it("reads relative ranges against the clock, a custom span as given, and anything else as all the data", () => {
    expect(parseRange(q("range=1h"), NOW)).toEqual({ key: "1h", fromMs: NOW - 3_600_000, toMs: NOW });
    expect(parseRange(q("range=7d&window=300"), NOW)).toEqual({ key: "7d", fromMs: NOW - 604_800_000, toMs: NOW });
    expect(parseRange(q("from=1000&to=5000&range=1h"), NOW)).toEqual({ key: "custom", fromMs: 1000, toMs: 5000 });
    for (const bad of ["", "range=2y", "from=5000&to=1000", "from=abc&to=5", "from=1000"])
      expect(parseRange(q(bad), NOW)).toEqual({ key: "all" });
  });

  it("round-trips through the URL", () => {
    for (const s of ["range=1h", "range=1d", "from=1000&to=5000"]) {
      const r = parseRange(q(s), NOW);
      expect(parseRange(new URLSearchParams(rangeParams(r)), NOW)).toEqual(r);
    }
    expect(rangeParams({ key: "all" })).toEqual({});
  });

  it("asks the API for every window overlapping the range, whole, on window boundaries", () => {
    const lastHour = parseRange(q("range=1h"), NOW);
    // The day's window starting at 00:00 reaches into the last hour: it is asked for from its start, to its end.
    const day = Date.UTC(2026, 11, 6);
    expect(apiBounds(lastHour, 86_400)).toEqual({ from: day, to: day + 86_400_000 });
    // Hourly windows: from the hour holding the range's start to the end of the hour holding now.
    expect(apiBounds(lastHour, 3600)).toEqual({ from: Date.UTC(2026, 11, 6, 4), to: Date.UTC(2026, 11, 6, 6) });
    // Bounds already on a boundary stay.
    expect(apiBounds({ key: "custom", fromMs: day, toMs: day + 6 * 3_600_000 }, 3600)).toEqual({ from: day, to: day + 6 * 3_600_000 });
    expect(apiBounds({ key: "all" }, 300)).toEqual({});
  });

  it("totals a range over the largest windows that fit it exactly, else the finest", () => {
    const sizes = [300, 3600, 86_400];
    const day = Date.UTC(2026, 11, 2);
    const HOUR = 3_600_000;
    expect(coveringWindow({ key: "custom", fromMs: day, toMs: day + 2 * 86_400_000 }, sizes)).toBe(86_400);
    // Sixteen hours from 17:00: hourly windows, not the two whole days around them.
    expect(coveringWindow({ key: "custom", fromMs: day + 17 * HOUR, toMs: day + 33 * HOUR }, sizes)).toBe(3600);
    expect(coveringWindow({ key: "custom", fromMs: day + 17 * HOUR + 300_000, toMs: day + 33 * HOUR }, sizes)).toBe(300);
    // The last day before 05:37:12: no window fits, the finest comes closest.
    expect(coveringWindow(parseRange(q("range=1d"), NOW), sizes)).toBe(300);
    expect(coveringWindow({ key: "all" }, sizes)).toBe(86_400);
  });

  it("spans the chosen range on the axis, widened to keep every point (one included) visible", () => {
    const r = { key: "custom" as const, fromMs: 10_000_000, toMs: 20_000_000 };
    expect(axisSpan(null, r)).toEqual([10_000, 20_000]);
    expect(axisSpan([12_000, 13_000], r)).toEqual([10_000, 20_000]);
    // A day's window starting before the range pulls the axis back to show it.
    expect(axisSpan([9_000, 12_000], r)).toEqual([9_000, 20_000]);
    expect(axisSpan([12_000, 13_000], { key: "all" })).toEqual([12_000, 13_000]);
    expect(axisSpan(null, { key: "all" })).toBeNull();
  });

  it("reads and writes datetime inputs in UTC", () => {
    expect(toInput(Date.UTC(2026, 11, 6, 5, 37))).toBe("2026-12-06T05:37");
    expect(fromInput("2026-12-06T05:37")).toBe(Date.UTC(2026, 11, 6, 5, 37));
    expect(fromInput("")).toBeNaN();
    expect(fromInput("yesterday")).toBeNaN();
  });
});
