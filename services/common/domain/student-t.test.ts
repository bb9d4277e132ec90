import { describe, expect, it } from "vitest";
import { regularizedBeta, studentTCdf, studentTQuantile } from "./student-t.js";

describe("Student's t", () => {
  it("matches the closed forms for one and two degrees of freedom", () => {
    // dof 1 is Cauchy: F(t) = ½ + atan(t)/π; dof 2: F(t) = ½ + t / (2√(2 + t²)).
    for (const t of [-3, -0.4, 0, 0.3, 2.5, 40]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 9);
    // dof 2: t = (2p − 1)√(2 / (1 − (2p − 1)²))
    const q = 0.95;
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(q * Math.sqrt(2 / (1 - q * q)), 9);
  });

  it("matches printed tables", () => {
    // Two-sided 95 % critical values from any t table.
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 6);
    expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.04523, 6);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.604095, 6);
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-2.262157, 6);
    expect(studentTQuantile(0.5, 7)).toBe(0);
  });

  it("has the incomplete beta's closed forms", () => {
    // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a.
    expect(regularizedBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 13);
    expect(regularizedBeta(0.8, 3.5, 1)).toBeCloseTo(0.8 ** 3.5, 13);
    expect(regularizedBeta(0, 2, 2)).toBe(0);
    expect(regularizedBeta(1, 2, 2)).toBe(1);
  });
});
