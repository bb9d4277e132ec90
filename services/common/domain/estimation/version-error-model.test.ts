import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import type { FeatureType } from "../event-rows.js";
import { finish } from "./boosted-trees.js";
import { expectedError } from "./dle.js";
import {
  encodeFeatures,
  featureColumns,
  fitVersionErrorModelSteps,
  MAX_CODES,
  parseVersionErrorModel,
  type SampleRow,
  sampleMeans,
  stampExpectedError,
} from "./version-error-model.js";

/** A row as the raw table keeps it (booleans also as 0/1 numbers). */
function features(f: Record<string, number | string | boolean | null>) {
  const keys = Object.keys(f);
  return {
    feature_keys: keys,
    feature_types: keys.map((k): FeatureType => {
      const v = f[k];
      return v === null ? "null" : typeof v === "number" ? "number" : typeof v === "string" ? "string" : "boolean";
    }),
    feature_numbers: keys.map((k) => {
      const v = f[k];
      return typeof v === "number" ? v : typeof v === "boolean" ? (v ? 1 : 0) : null;
    }),
    feature_strings: keys.map((k) => {
      const v = f[k];
      return typeof v === "string" ? v : typeof v === "boolean" ? String(v) : null;
    }),
  };
}

describe("a version's error model columns", () => {
  it("are the sample's keys (alphabetical), strings coded by their values in alphabetical order", () => {
    const sample = [
      features({ km: 10, fuel: "petrol", auto: true }),
      features({ km: 20, fuel: "diesel", auto: false, rare: "x" }),
      features({ km: null, fuel: "petrol" }),
    ];
    expect(featureColumns(sample)).toEqual([
      { key: "auto" },
      { key: "fuel", codes: ["diesel", "petrol"] },
      { key: "km" },
      { key: "rare", codes: ["x"] },
    ]);
  });

  it("keep a string feature's most frequent values only", () => {
    const sample = Array.from({ length: MAX_CODES + 6 }, (_, i) => features({ city: `c${String(i).padStart(3, "0")}` }));
    sample.push(features({ city: "c069" }), features({ city: "c069" }));
    const [city] = featureColumns(sample);
    expect(city!.codes).toHaveLength(MAX_CODES);
    // Ties broken by name: c000 … c062 and the twice-seen c069.
    expect(city!.codes!.at(-1)).toBe("c069");
    expect(city!.codes).not.toContain("c063");
  });

  it("encode a row by key: numbers, booleans as 0/1, codes; missing, null and unseen values are NaN", () => {
    const columns = [{ key: "auto" }, { key: "fuel", codes: ["diesel", "petrol"] }, { key: "km" }];
    expect(encodeFeatures(columns, features({ km: 7, fuel: "petrol", auto: true }))).toEqual([1, 1, 7]);
    expect(encodeFeatures(columns, features({ fuel: "hydrogen", km: null }))).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });
});

describe("a version's error model", () => {
  const r = seededRandom(7);
  const sample: SampleRow[] = Array.from({ length: 400 }, () => {
    const age = Math.floor(r() * 10);
    const fuel = r() < 0.5 ? "diesel" : "electric";
    const pred = 10 + age;
    return { ...features({ age, fuel }), pred_value: pred, value: pred + (fuel === "electric" ? 3 : 0) + (r() - 0.5) * age };
  });
  const options = { rounds: 20, learningRate: 0.2, maxDepth: 2, minLeaf: 20, bins: 16, lambda: 1 };

  it("fits in steps (one per boosting round of each of its two models) and survives its JSON", () => {
    const steps = fitVersionErrorModelSteps(sample, options);
    let paused = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) paused++;
    expect(paused).toBe(2 * options.rounds);
    const m = step.value;
    expect(m.model.rows).toBe(400);
    expect(parseVersionErrorModel(JSON.stringify(m))).toEqual(m);
    expect(() => parseVersionErrorModel(JSON.stringify({ ...m, model: { ...m.model, kind: "bins" } }))).toThrow();
  });

  it("stamps a prediction with the trees' expectation on its encoded features, and nothing without a value", () => {
    const m = finish(fitVersionErrorModelSteps(sample, options));
    const electric = { ...features({ age: 5, fuel: "electric" }), pred_value: 15 };
    const diesel = { ...features({ age: 5, fuel: "diesel" }), pred_value: 15 };
    expect(stampExpectedError(m, electric)).toEqual(expectedError(m.model, { prediction: 15, features: [5, 1] }));
    // The model learnt the electric cars' missed premium.
    expect(stampExpectedError(m, electric)!.abs).toBeGreaterThan(stampExpectedError(m, diesel)!.abs + 1);
    expect(stampExpectedError(m, { ...electric, pred_value: null })).toBeNull();
  });

  it("gives the sample's mean |e| and e² as the fallback of unstamped rows", () => {
    const m = finish(fitVersionErrorModelSteps(sample, options));
    const errors = sample.map((s) => s.value - s.pred_value);
    const means = sampleMeans(m);
    expect(means.abs).toBeCloseTo(errors.reduce((a, e) => a + Math.abs(e), 0) / errors.length, 12);
    expect(means.sq).toBeCloseTo(errors.reduce((a, e) => a + e * e, 0) / errors.length, 12);
  });
});
