import { describe, expect, it } from "vitest";
import { differenceInterval, fairnessReport, ratioInterval } from "./fairness.js";

describe("intervals for comparing two groups", () => {
  it("matches Newcombe's published method-10 intervals for a difference of proportions", () => {
    // Newcombe (1998), Statistics in Medicine 17, table II, examples (a) and (b).
    const a = differenceInterval(56, 70, 48, 80);
    expect(a[0]).toBeCloseTo(0.0524, 4);
    expect(a[1]).toBeCloseTo(0.3339, 4);
    const b = differenceInterval(9, 10, 3, 10);
    expect(b[0]).toBeCloseTo(0.1705, 4);
    expect(b[1]).toBeCloseTo(0.809, 4);
  });

  it("gives the Katz log interval for a ratio, and none when a side has no successes", () => {
    // ratio 0.8 / 0.6; se = √(1/56 − 1/70 + 1/48 − 1/80) = 0.109109; exp(ln(4/3) ± 1.96 · se)
    const r = ratioInterval(56, 70, 48, 80)!;
    expect(r[0]).toBeCloseTo(1.07663, 5);
    expect(r[1]).toBeCloseTo(1.65125, 5);
    expect(ratioInterval(0, 50, 10, 50)).toBeNull();
  });
});

describe("fairness report", () => {
  // Group a: 100 labelled, 50 selected (tp 40, fp 10), 45 positives. Group b: 100, 35 selected (tp 30, fp 5), 50 positives.
  const groups = [
    { group: "a", tp: 40, fp: 10, fn: 5, tn: 45 },
    { group: "b", tp: 30, fp: 5, fn: 20, tn: 45 },
  ];

  it("computes each group's rates from its confusion counts", () => {
    const b = fairnessReport(groups).groups.find((g) => g.group === "b")!;
    expect(b.labeled).toBe(100);
    expect(b.rates.selection_rate.value).toBeCloseTo(0.35, 12);
    expect(b.rates.true_positive_rate.value).toBeCloseTo(30 / 50, 12);
    expect(b.rates.false_positive_rate.value).toBeCloseTo(5 / 50, 12);
    expect(b.rates.accuracy.value).toBeCloseTo(75 / 100, 12);
    expect(b.rates.selection_rate.ci95![0]).toBeLessThan(0.35);
    expect(b.rates.selection_rate.ci95![1]).toBeGreaterThan(0.35);
  });

  it("compares with the most selected group by default and applies the four-fifths rule", () => {
    const report = fairnessReport(groups);
    expect(report.reference).toBe("a");
    const b = report.groups.find((g) => g.group === "b")!;
    expect(b.versus_reference.selection_rate.ratio).toBeCloseTo(0.7, 12);
    expect(b.versus_reference.selection_rate.difference).toBeCloseTo(-0.15, 12);
    expect(b.passes_four_fifths).toBe(false);
    expect(report.adverse_impact).toEqual(["b"]);
    const a = report.groups.find((g) => g.group === "a")!;
    expect(a.versus_reference.selection_rate.ratio).toBe(1);
    expect(a.passes_four_fifths).toBe(true);
  });

  it("takes a named reference, and has none when that group is absent", () => {
    const byB = fairnessReport(groups, "b");
    expect(byB.reference).toBe("b");
    expect(byB.groups.find((g) => g.group === "a")!.versus_reference.selection_rate.ratio).toBeCloseTo(50 / 35, 12);
    expect(byB.adverse_impact).toEqual([]);
    const none = fairnessReport(groups, "zz");
    expect(none.reference).toBeNull();
    expect(none.groups.every((g) => g.passes_four_fifths === null)).toBe(true);
  });

  it("leaves a rate without trials unknown instead of zero", () => {
    const report = fairnessReport([
      { group: "a", tp: 0, fp: 0, fn: 0, tn: 10 },
      { group: "b", tp: 0, fp: 0, fn: 0, tn: 0 },
    ]);
    const a = report.groups.find((g) => g.group === "a")!;
    expect(a.rates.true_positive_rate.value).toBeNull();
    expect(a.rates.false_positive_rate.value).toBe(0);
    // Nobody selected in the reference: no group can fall below four fifths of it.
    expect(a.passes_four_fifths).toBe(true);
    expect(report.groups.find((g) => g.group === "b")!.passes_four_fifths).toBeNull();
  });
});
