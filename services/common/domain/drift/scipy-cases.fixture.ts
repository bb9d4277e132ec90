/** Reference values from scipy (bench/python/drift_cases.py) and the tolerances tests hold them to. */
import { expect } from "vitest";
import cases from "./scipy-cases.json" with { type: "json" };

export { cases };
// Property tests draw from a seeded generator so that they never flake.
export { seededRandom } from "../../../../test/helpers/seeded-random.js";

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
