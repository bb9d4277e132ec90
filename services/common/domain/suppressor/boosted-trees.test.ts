import { describe, expect, it } from "vitest";
import { fitBoostedTrees, predictTrees, quantileEdges } from "./boosted-trees.js";

describe("boosted trees", () => {
  it("a single stump's leaves are the Newton steps −G/(H+λ)·η from the base log-odds", () => {
    // x<=0: 1 of 4 positive; x>0: 3 of 4 positive. Base p = 0.5, so g = p − y, h = 0.25.
    const rows = [[0], [0], [0], [0], [1], [1], [1], [1]];
    const labels = [1, 0, 0, 0, 1, 1, 1, 0];
    const model = fitBoostedTrees(rows, labels, { trees: 1, maxDepth: 1, learningRate: 0.5, l2: 1, minChildWeight: 0 });
    expect(model.baseScore).toBe(0);
    const leftG = 3 * 0.5 - 0.5; // three negatives give +0.5, one positive −0.5
    const leaf = (G: number) => Math.fround((-G / (4 * 0.25 + 1)) * 0.5);
    expect(model.trees[0]).toEqual([{ feature: 0, threshold: 0, left: 1, right: 2 }, { leaf: leaf(leftG) }, { leaf: leaf(-leftG) }]);
    expect(predictTrees(model, [0])).toBeCloseTo(1 / (1 + Math.exp(-leaf(leftG))), 7);
  });

  it("learns an interaction a linear model cannot (XOR) and is deterministic", () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    // Unequal cell sizes: a perfectly balanced XOR gives every first split zero gain, as in any greedy tree.
    for (const [a, b, count] of [
      [0, 0, 60],
      [0, 1, 40],
      [1, 0, 30],
      [1, 1, 70],
    ] as const) {
      for (let i = 0; i < count; i++) {
        rows.push([a, b]);
        labels.push(a ^ b);
      }
    }
    const model = fitBoostedTrees(rows, labels, { trees: 30, maxDepth: 2 });
    expect(predictTrees(model, [0, 1])).toBeGreaterThan(0.9);
    expect(predictTrees(model, [1, 1])).toBeLessThan(0.1);
    expect(fitBoostedTrees(rows, labels, { trees: 30, maxDepth: 2 })).toEqual(model);
  });

  it("splits at distinct values or quantiles, never at the maximum", () => {
    expect([...quantileEdges(Float32Array.from([3, 1, 2, 2]), 10)]).toEqual([1, 2]);
    expect(
      quantileEdges(
        Float32Array.from({ length: 1000 }, (_, i) => i),
        4,
      ).length,
    ).toBe(4);
    expect(() => fitBoostedTrees([[1]], [3])).toThrow(/label 0 must be 0 or 1/);
  });

  it("boosting from a column's offset follows that column beyond the values it was trained on", () => {
    // Column 0 is a rate's logit (in [-4, -1] when training); column 1 is noise.
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 400; i++) {
      const z = -4 + (3 * i) / 399;
      rows.push([z, i % 7]);
      labels.push((i * 0.6180339887) % 1 < 1 / (1 + Math.exp(-z)) ? 1 : 0);
    }
    const plain = fitBoostedTrees(rows, labels, { trees: 20, maxDepth: 2 });
    const offset = fitBoostedTrees(rows, labels, { trees: 20, maxDepth: 2, offsetFeatures: [0] });
    expect(plain.offset).toBeUndefined();
    expect(offset.offset?.features).toEqual([0]);
    expect(offset.offset!.weights[0]).toBeGreaterThan(0.5);
    // Trees alone are flat past the last split; with the offset a rate far above training moves the score.
    expect(predictTrees(plain, [2, 0])).toBeCloseTo(predictTrees(plain, [-1, 0]), 6);
    expect(predictTrees(offset, [2, 0])).toBeGreaterThan(predictTrees(offset, [-1, 0]) + 0.2);
    expect(() => fitBoostedTrees(rows, labels, { offsetFeatures: [2] })).toThrow(/offset feature 2 is not a column of 2/);
  });
});
