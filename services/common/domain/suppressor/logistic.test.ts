import { describe, expect, it } from "vitest";
import { fitLogistic, predictLogistic, sigmoid } from "./logistic.js";

const logit = (p: number) => Math.log(p / (1 - p));

describe("fitLogistic", () => {
  it("matches the closed form for one binary feature without penalty: intercept logit(p0), weight logit(p1) - logit(p0)", () => {
    // x=0: 2 of 10 positive; x=1: 6 of 8 positive.
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 10; i++) {
      rows.push([0]);
      labels.push(i < 2 ? 1 : 0);
    }
    for (let i = 0; i < 8; i++) {
      rows.push([1]);
      labels.push(i < 6 ? 1 : 0);
    }
    const { model, converged } = fitLogistic(rows, labels, { l2: 0 });
    expect(converged).toBe(true);
    expect(model.intercept).toBeCloseTo(logit(0.2), 5);
    expect(model.weights[0]).toBeCloseTo(logit(0.75) - logit(0.2), 5);
  });

  it("stays finite on separable data and zeroes the penalised gradient on standardised features", () => {
    const rows = [
      [-2, 1],
      [-1, 0],
      [-0.5, 1],
      [0.5, 0],
      [1, 1],
      [2, 0],
    ];
    const labels = [0, 0, 0, 1, 1, 1];
    const l2 = 0.5;
    const { model } = fitLogistic(rows, labels, { l2 });
    // Independently: standardise, map raw weights back, and compute Σ(p−y)·z + λ·w by hand.
    const n = rows.length;
    const mean = [0, 1].map((j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
    const sd = [0, 1].map((j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / n));
    const wStd = model.weights.map((w, j) => w * sd[j]!);
    const grad = [0, 0, 0];
    rows.forEach((r, i) => {
      const p = predictLogistic(model, r);
      grad[0]! += p - labels[i]!;
      for (let j = 0; j < 2; j++) grad[j + 1]! += (p - labels[i]!) * ((r[j]! - mean[j]!) / sd[j]!);
    });
    for (let j = 0; j < 2; j++) grad[j + 1]! += l2 * wStd[j]!;
    // float32 rounding of the stored weights leaves a residue of that order.
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-5);
    expect(Number.isFinite(model.weights[0]!)).toBe(true);
    expect(model.weights[0]!).toBeGreaterThan(0);
  });

  it("is deterministic", () => {
    const rows = [
      [0.1, 3],
      [0.4, 1],
      [0.9, 2],
      [0.3, 5],
      [0.8, 0],
    ];
    const labels = [0, 1, 1, 0, 1];
    expect(fitLogistic(rows, labels)).toEqual(fitLogistic(rows, labels));
  });

  it("rejects bad input with clear messages", () => {
    expect(() => fitLogistic([], [])).toThrow(/at least one row/);
    expect(() => fitLogistic([[1]], [2])).toThrow(/label 0 must be 0 or 1/);
    expect(() => fitLogistic([[1], [1, 2]], [0, 1])).toThrow(/row 1 has 2 features, expected 1/);
    expect(() => fitLogistic([[1]], [1], { l2: -1 })).toThrow(/l2 must be >= 0/);
  });

  it("sigmoid does not overflow", () => {
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });
});
