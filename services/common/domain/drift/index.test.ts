import { describe, expect, it } from "vitest";
import * as drift from "./index.js";

describe("drift index", () => {
  it("gives 0 distance and p = 1 for identical inputs", () => {
    const counts = [12, 30, 0, 8];
    const sample = [0.5, 1, 1, 2.25, 3];
    expect(drift.populationStabilityIndex(counts, counts)).toBe(0);
    expect(drift.jensenShannonDistance(counts, counts)).toBe(0);
    expect(drift.ksStatisticFromBins(counts, counts).statistic).toBe(0);
    expect(drift.chiSquareHomogeneity(counts, counts)).toMatchObject({ statistic: 0, pValue: 1 });
    expect(drift.ksStatistic(sample, sample)).toBe(0);
    expect(drift.ksPValue(0, sample.length, sample.length)).toBe(1);
    expect(drift.wassersteinDistance(sample, sample)).toBe(0);
    const binned = { counts: [1, 2, 2], sums: [0.5, 2, 5.25], min: 0.5, max: 3 };
    expect(drift.wassersteinFromBins([1, 2], binned, binned).distance).toBe(0);
    expect(drift.benjaminiHochberg([1, 1])).toEqual([1, 1]);
  });
});
