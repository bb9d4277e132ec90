import { describe, expect, it } from "vitest";
import { normalCdf, rankSlices, type SliceSums } from "./slice-ranking.js";

const slice = (key: string, value: string, over: Partial<SliceSums>): SliceSums => ({
  slice_key: key,
  slice_value: value,
  predictions: 0,
  class_n: 0,
  correct: 0,
  reg_n: 0,
  abs_err_sum: 0,
  sq_err_sum: 0,
  ...over,
});
const options = { order: "worst", minLabeled: 30, limit: 1000, alpha: 0.05 } as const;

/** A small deterministic generator (mulberry32), so the simulation below is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("normal distribution", () => {
  it("matches scipy's norm.cdf", () => {
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(0)).toBe(0.5);
  });
});

describe("slice ranking", () => {
  it("tests accuracy against the rest of the traffic as statsmodels' one-sided two-proportion z-test does", () => {
    // The slice: 40 of 100 right; the rest: 540 of 900. proportions_ztest([40, 540], [100, 900], alternative="smaller")
    // gives z = −3.8442587, p = 6.0458693e-05.
    const r = rankSlices(
      [
        slice("", "", { predictions: 1000, class_n: 1000, correct: 580 }),
        slice("country", "BR", { predictions: 100, class_n: 100, correct: 40 }),
      ],
      { ...options, metric: "accuracy" },
    );
    const br = r.slices[0]!;
    expect(br.p_value).toBeCloseTo(6.0458692779683686e-5, 12);
    expect(br.gap).toBeCloseTo(0.4 - 0.58, 12);
    expect(br.significantly_worse).toBe(true);
    expect(r.population!.value).toBeCloseTo(0.58, 12);
  });

  it("tests mean absolute error with Welch's z from the windows' sums", () => {
    // The slice: 50 errors, Σ|e| = 150, Σe² = 600; the rest: 450, Σ|e| = 900, Σe² = 2700.
    // Welch's z from the sample variances: 3.9020002, one-sided p = 4.7700540e-05 (scipy norm.sf).
    const r = rankSlices(
      [
        slice("", "", { predictions: 500, reg_n: 500, abs_err_sum: 1050, sq_err_sum: 3300 }),
        slice("city", "madrid", { predictions: 50, reg_n: 50, abs_err_sum: 150, sq_err_sum: 600 }),
      ],
      { ...options, metric: "mae" },
    );
    const madrid = r.slices[0]!;
    expect(madrid.value).toBe(3);
    expect(madrid.gap).toBeCloseTo(3 - 2.1, 12);
    expect(madrid.p_value).toBeCloseTo(4.770054002563372e-5, 12);
    expect(madrid.ci95[0]).toBeLessThan(3);
    expect(madrid.ci95[1]).toBeGreaterThan(3);
  });

  it("among 300 slices of one distribution names no false worst slice, where a test per slice names many", () => {
    const next = random(7);
    const slices: SliceSums[] = [];
    let n = 0;
    let correct = 0;
    for (let i = 0; i < 300; i++) {
      let c = 0;
      for (let k = 0; k < 200; k++) if (next() < 0.9) c++;
      slices.push(slice("user", `u${i}`, { predictions: 200, class_n: 200, correct: c }));
      n += 200;
      correct += c;
    }
    const r = rankSlices([slice("", "", { predictions: n, class_n: n, correct }), ...slices], { ...options, metric: "accuracy" });
    expect(r.tested).toBe(300);
    const unadjusted = r.slices.filter((s) => s.p_value <= 0.05).length;
    expect(unadjusted).toBeGreaterThanOrEqual(5);
    expect(r.slices.filter((s) => s.significantly_worse)).toEqual([]);
  });

  it("still finds a slice that is truly worse among them", () => {
    const next = random(11);
    const slices: SliceSums[] = [];
    for (let i = 0; i < 100; i++) {
      const rate = i === 42 ? 0.75 : 0.9;
      let c = 0;
      for (let k = 0; k < 400; k++) if (next() < rate) c++;
      slices.push(slice("user", `u${i}`, { predictions: 400, class_n: 400, correct: c }));
    }
    const total = slices.reduce((s, x) => s + x.correct, 0);
    const r = rankSlices([slice("", "", { predictions: 40_000, class_n: 40_000, correct: total }), ...slices], {
      ...options,
      metric: "accuracy",
    });
    expect(r.slices.filter((s) => s.significantly_worse).map((s) => s.slice_value)).toEqual(["u42"]);
    expect(r.slices[0]!.slice_value).toBe("u42");
  });

  it("leaves out slices with too few labels, and orders best first on request", () => {
    const rows = [
      slice("", "", { predictions: 300, class_n: 300, correct: 240 }),
      slice("k", "a", { predictions: 100, class_n: 100, correct: 70 }),
      slice("k", "b", { predictions: 100, class_n: 100, correct: 95 }),
      slice("k", "tiny", { predictions: 10, class_n: 10, correct: 0 }),
    ];
    const worst = rankSlices(rows, { ...options, metric: "accuracy" });
    expect(worst.slices.map((s) => s.slice_value)).toEqual(["a", "b"]);
    expect(rankSlices(rows, { ...options, metric: "accuracy", order: "best" }).slices.map((s) => s.slice_value)).toEqual(["b", "a"]);
    expect(rankSlices([rows[1]!], { ...options, metric: "accuracy" }).population).toBeNull();
  });
});
