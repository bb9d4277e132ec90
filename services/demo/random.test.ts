import { describe, it, expect } from "vitest";
import { type Rng, createRng, cumulativeWeights } from "./random.js";

const N = 100_000;

function draws(rng: Rng, n: number, f: (r: Rng) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(f(rng));
  return out;
}

function meanVar(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

describe("Rng", () => {
  it("repeats exactly for the same seed and diverges for another", () => {
    const a = draws(createRng(42), 1000, (r) => r.nextUint32());
    const b = draws(createRng(42), 1000, (r) => r.nextUint32());
    const c = draws(createRng(43), 1000, (r) => r.nextUint32());
    expect(a).toEqual(b);
    const same = a.filter((x, i) => x === c[i]).length;
    expect(same).toBeLessThan(3);
  });

  it("accepts seed 0 and non-integer seeds without degenerating", () => {
    const zero = draws(createRng(0), 100, (r) => r.nextUint32());
    expect(new Set(zero).size).toBe(100);
    expect(draws(createRng(1.7), 10, (r) => r.nextUint32())).toEqual(draws(createRng(1), 10, (r) => r.nextUint32()));
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });

  it("draws uniforms in [0, 1) with mean 1/2 and variance 1/12", () => {
    const xs = draws(createRng(1), N, (r) => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, variance } = meanVar(xs);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 2);
    const open = draws(createRng(1), N, (r) => r.nextOpen());
    expect(Math.min(...open)).toBeGreaterThan(0);
    expect(Math.max(...open)).toBeLessThanOrEqual(1);
  });

  it("draws standard normals", () => {
    const xs = draws(createRng(2), N, (r) => r.normal());
    const { mean, variance } = meanVar(xs);
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    // About 95.45% of a normal lies within two standard deviations.
    const within2 = xs.filter((x) => Math.abs(x) < 2).length / N;
    expect(Math.abs(within2 - 0.9545)).toBeLessThan(0.005);
  });

  it("draws log-normals whose median is e^mu and whose mean exceeds it", () => {
    const xs = draws(createRng(3), N, (r) => r.logNormal(Math.log(10), 1)).sort((a, b) => a - b);
    const median = xs[N / 2]!;
    expect(Math.abs(median / 10 - 1)).toBeLessThan(0.02);
    const { mean } = meanVar(xs);
    expect(Math.abs(mean / (10 * Math.exp(0.5)) - 1)).toBeLessThan(0.03);
  });

  it("draws exponentials with mean 1", () => {
    const { mean } = meanVar(draws(createRng(4), N, (r) => r.exponential()));
    expect(Math.abs(mean - 1)).toBeLessThan(0.015);
  });

  it.each([0.5, 2.5, 12, 80])("draws Poisson(%d) with mean and variance lambda", (lambda) => {
    const xs = draws(createRng(5), N, (r) => r.poisson(lambda));
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    const { mean, variance } = meanVar(xs);
    expect(Math.abs(mean / lambda - 1)).toBeLessThan(0.02);
    expect(Math.abs(variance / lambda - 1)).toBeLessThan(0.05);
    expect(createRng(5).poisson(0)).toBe(0);
  });

  it("picks indices in proportion to their weights and never a zero-weight one", () => {
    const weights = [0.5, 0, 0.3, 0.2];
    const table = cumulativeWeights(weights);
    const counts = [0, 0, 0, 0];
    const rng = createRng(6);
    for (let i = 0; i < N; i++) counts[rng.pick(table)]!++;
    weights.forEach((w, i) => expect(Math.abs(counts[i]! / N - w)).toBeLessThan(0.01));
    expect(counts[1]).toBe(0);
  });

  it("rejects weight tables that cannot be drawn from", () => {
    expect(() => cumulativeWeights([])).toThrow(RangeError);
    expect(() => cumulativeWeights([0, 0])).toThrow(RangeError);
    expect(() => cumulativeWeights([1, -1])).toThrow(RangeError);
    expect(() => cumulativeWeights([1, Number.NaN])).toThrow(RangeError);
  });
});
