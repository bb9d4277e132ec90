import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import { calibrate, fitCalibration } from "./calibration.js";

describe("fitCalibration", () => {
  it("pools adjacent violators and interpolates between block means (hand-computed)", () => {
    // Labels by score: 0.1 → 0,0; 0.2 → 1; 0.3 → 0; 0.4 → 1,1. 0.2 and 0.3 violate order and pool
    // into one block of rate 1/2 at mean score 0.25.
    const c = fitCalibration([
      { score: 0.4, positives: 2, negatives: 0 },
      { score: 0.1, positives: 0, negatives: 2 },
      { score: 0.3, positives: 0, negatives: 1 },
      { score: 0.2, positives: 1, negatives: 0 },
    ]);
    expect(c.knots).toEqual([0.1, 0.25, 0.4]);
    expect(c.rates).toEqual([0, 0.5, 1]);
    expect(c.rows).toBe(6);
    expect(calibrate(c, 0.175)).toBeCloseTo(0.25, 12);
    expect(calibrate(c, 0.3)).toBeCloseTo(0.5 + (0.05 / 0.15) * 0.5, 12);
    expect(calibrate(c, 0)).toBe(0);
    expect(calibrate(c, 1)).toBe(1);
  });

  it("is monotone and recovers a known miscalibration", () => {
    // True P(y = 1 | s) = s², a model that overstates its confidence.
    const rand = seededRandom(7);
    const counts = new Map<number, { score: number; positives: number; negatives: number }>();
    for (let i = 0; i < 200_000; i++) {
      const s = Math.round(rand() * 1000) / 1000;
      const g = counts.get(s) ?? { score: s, positives: 0, negatives: 0 };
      if (rand() < s * s) g.positives++;
      else g.negatives++;
      counts.set(s, g);
    }
    const c = fitCalibration([...counts.values()]);
    c.rates.forEach((r, i) => expect(r).toBeGreaterThanOrEqual(c.rates[i - 1] ?? 0));
    for (const s of [0.2, 0.4, 0.6, 0.8]) expect(Math.abs(calibrate(c, s) - s * s)).toBeLessThan(0.02);
  });

  it("without history leaves scores as they are", () => {
    const c = fitCalibration([]);
    expect(calibrate(c, 0.37)).toBe(0.37);
    expect(calibrate(c, 1.2)).toBe(1);
  });
});
