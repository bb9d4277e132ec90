/** Reference values from scipy (bench/python/drift_cases.py) and the tolerances tests hold them to. */
import { expect } from "vitest";
import cases from "./scipy-cases.json" with { type: "json" };

export { cases };

/** A statistic: within 1e-6 absolute. */
export function expectClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs scipy ${expected}`).toBeLessThanOrEqual(1e-6);
}

/** A p-value: within 1e-6 absolute and 1e-6 relative, so that tiny p-values are checked too. */
export function expectPValue(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs scipy ${expected}`).toBeLessThanOrEqual(
    1e-6 * Math.min(1, Math.abs(expected)),
  );
}

/** Deterministic uniform generator (mulberry32) for property tests that must not flake. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
