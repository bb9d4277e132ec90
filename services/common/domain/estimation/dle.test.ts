import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import {
  EMPTY_SUMS,
  estimateFromSums,
  estimateRegressionWindow,
  expectedError,
  fitBinnedErrorModel,
  fitTreeErrorModel,
  mergeSums,
  type RegressionRow,
  windowSums,
} from "./dle.js";

const Z95 = 1.959963984540054;

// Errors +1, −1, +2, −4 at predictions 1, 2, 3, 4. Two prediction bins: the cut is the sorted
// predictions' element at ⌊4/2⌋ = 3, so {1, 2, 3} | {4}.
const HISTORY: RegressionRow[] = [
  { prediction: 1, features: [], actual: 2 },
  { prediction: 2, features: [], actual: 1 },
  { prediction: 3, features: [], actual: 5 },
  { prediction: 4, features: [], actual: 0 },
];

describe("the binned error model", () => {
  it("holds each bin's mean |e| and e², and κ = Σe⁴ / ΣE[e²]²", () => {
    const model = fitBinnedErrorModel(HISTORY, 2);
    expect(expectedError(model, { prediction: 2.5, features: [] })).toEqual({ abs: 4 / 3, sq: 2 });
    expect(expectedError(model, { prediction: 10, features: [] })).toEqual({ abs: 4, sq: 16 });
    // Σe⁴ = 1 + 1 + 16 + 256 = 274; ΣE[e²]² = 3 · 2² + 16² = 268.
    expect(model.kurtosis).toBeCloseTo(274 / 268, 12);
  });

  it("estimates a window by hand: the labelled row counts as realised", () => {
    const model = fitBinnedErrorModel(HISTORY, 2);
    const window: RegressionRow[] = [
      { prediction: 2.5, features: [] },
      { prediction: 10, features: [] },
      { prediction: 1, features: [], actual: 1.5 },
    ];
    const r = estimateRegressionWindow(window, model);
    expect(r.rows).toBe(3);
    expect(r.labelled).toBe(1);
    // MAE = (0.5 + 4/3 + 4) / 3; Var|e| = (2 − 16/9) + (16 − 16).
    const mae = (0.5 + 4 / 3 + 4) / 3;
    expect(r.mae?.value).toBeCloseTo(mae, 12);
    expect(r.mae?.high).toBeCloseTo(mae + (Z95 * Math.sqrt(2 / 9)) / 3, 12);
    // MSE = (0.25 + 2 + 16) / 3; Var e² = (κ − 1)(2² + 16²), mapped through the square root.
    const mse = 18.25 / 3;
    const half = (Z95 * Math.sqrt((274 / 268 - 1) * 260)) / 3;
    expect(r.rmse?.value).toBeCloseTo(Math.sqrt(mse), 12);
    expect(r.rmse?.low).toBeCloseTo(Math.sqrt(mse - half), 12);
    expect(r.rmse?.high).toBeCloseTo(Math.sqrt(mse + half), 12);
  });

  it("reaches the realised values with zero width at full coverage", () => {
    const model = fitBinnedErrorModel(HISTORY, 2);
    const r = estimateRegressionWindow(HISTORY, model);
    // |e| = 1, 1, 2, 4; e² = 1, 1, 4, 16.
    expect(r.mae).toEqual({ value: 2, low: 2, high: 2 });
    expect(r.rmse?.value).toBeCloseTo(Math.sqrt(22 / 4), 12);
    expect(r.rmse?.low).toBe(r.rmse?.value);
    expect(estimateFromSums(EMPTY_SUMS, 3).mae).toBeNull();
  });

  it("merges windows by adding their sums", () => {
    const model = fitBinnedErrorModel(HISTORY, 2);
    const rows: RegressionRow[] = [...HISTORY, { prediction: 0.5, features: [] }, { prediction: 7, features: [] }];
    const merged = mergeSums(windowSums(rows.slice(0, 3), model), windowSums(rows.slice(3), model));
    const whole = windowSums(rows, model);
    for (const k of Object.keys(whole) as (keyof typeof whole)[]) expect(merged[k]).toBeCloseTo(whole[k], 12);
  });
});

describe("the tree error model", () => {
  // e ~ N(0, σ²) with σ = 1 where the feature is below 0.5 and 3 above, whatever the prediction:
  // E|e| = σ√(2/π) (0.798, 2.394), E[e²] = σ² (1, 9), and κ = 3 for normal errors.
  const rand = seededRandom(42);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const draw = (n: number): RegressionRow[] =>
    Array.from({ length: n }, () => {
      const x = rand();
      const prediction = 10 * rand();
      return { prediction, features: [x], actual: prediction + (x < 0.5 ? 1 : 3) * normal() };
    });
  const model = fitTreeErrorModel(draw(20_000));

  // Point by point the trees are noisy (they also split on the prediction, which carries nothing
  // here); what the estimate uses is their mean over a window, with predictions spread as in traffic.
  const window = (share: number) =>
    Array.from({ length: 5000 }, (_, i) => ({ prediction: (10 * i) / 5000, features: [i % 100 < 100 * share ? 0.8 : 0.2] }));

  it("learns the expected error where it depends on a feature", () => {
    const quiet = estimateRegressionWindow(window(0), model);
    const noisy = estimateRegressionWindow(window(1), model);
    expect((quiet.mae?.value as number) / Math.sqrt(2 / Math.PI)).toBeCloseTo(1, 1);
    expect((noisy.mae?.value as number) / (3 * Math.sqrt(2 / Math.PI))).toBeCloseTo(1, 1);
    expect(quiet.rmse?.value as number).toBeCloseTo(1, 1);
    expect((noisy.rmse?.value as number) / 3).toBeCloseTo(1, 1);
    expect(model.kurtosis).toBeGreaterThan(2.6);
    expect(model.kurtosis).toBeLessThan(3.4);
  });

  it("follows a window whose features moved (covariate shift)", () => {
    // 80 % of the window in the noisy group: MAE = (0.2 · 1 + 0.8 · 3)√(2/π), RMSE = √(0.2 · 1 + 0.8 · 9).
    const r = estimateRegressionWindow(window(0.8), model);
    expect((r.mae?.value as number) / (2.6 * Math.sqrt(2 / Math.PI))).toBeCloseTo(1, 1);
    expect((r.rmse?.value as number) / Math.sqrt(7.4)).toBeCloseTo(1, 1);
  });
});
