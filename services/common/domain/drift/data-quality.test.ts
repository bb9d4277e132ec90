import { describe, expect, it } from "vitest";
import type { FeatureRule } from "../../../../schemas/models.js";
import {
  LEARNED_TOLERANCE,
  VANISHED_EXPECTED_COUNT,
  checkQuality,
  proposeRules,
  type QualityCheck,
  type QualityCheckName,
} from "./data-quality.js";
import { PERCENTILES, numericEdges, type CategoricalProfile, type NumericProfile } from "./profile.js";
import { seededRandom } from "./scipy-cases.fixture.js";
import { emptySummary, summariseValues, type FeatureSummary, type FeatureValue } from "./summary.js";

/** A numeric reference profile as storage builds it (nearest-rank percentiles, declared bounds as edges). */
function numericProfile(values: FeatureValue[], rule?: FeatureRule): NumericProfile {
  const numbers = values.filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
  const present = values.filter((v) => v !== undefined).length;
  const { edges, coarseEdges } = numericEdges(
    {
      feature: "x",
      rows: values.length,
      present,
      nulls: values.filter((v) => v === null).length,
      numbers: numbers.length,
      strings: 0,
      percentiles: PERCENTILES.map((_, i) => numbers[Math.ceil(((i + 1) * numbers.length) / 100) - 1] ?? NaN),
      min: numbers[0] ?? NaN,
      max: numbers.at(-1) ?? NaN,
    },
    rule,
  );
  const shell: NumericProfile = {
    feature: "x",
    kind: "numeric",
    rows: values.length,
    present,
    nulls: 0,
    mismatches: 0,
    n: 0,
    counts: new Array<number>(edges.length + 1).fill(0),
    sums: [],
    edges,
    coarseEdges,
    min: numbers[0] ?? NaN,
    max: numbers.at(-1) ?? NaN,
    mean: 0,
    std: 0,
  };
  const own = summariseValues(shell, values);
  return { ...shell, nulls: own.nulls, mismatches: own.mismatches, n: own.n, counts: own.counts, sums: own.sums };
}

/** A categorical reference profile; `categories` stands in for a list cut at MAX_CATEGORIES. */
function categoricalProfile(values: FeatureValue[], categories?: string[]): CategoricalProfile {
  const frequency = new Map<string, number>();
  for (const v of values) if (typeof v === "string") frequency.set(v, (frequency.get(v) ?? 0) + 1);
  const kept = categories ?? [...frequency.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const shell: CategoricalProfile = {
    feature: "c",
    kind: "categorical",
    rows: values.length,
    present: 0,
    nulls: 0,
    mismatches: 0,
    n: 0,
    counts: new Array<number>(kept.length + 1).fill(0),
    categories: kept,
  };
  const own = summariseValues(shell, values);
  return { ...shell, present: own.present, nulls: own.nulls, mismatches: own.mismatches, n: own.n, counts: own.counts };
}

/** {a: 2, b: 1} → ["a", "a", "b"] */
function repeat(counts: Record<string, number>): string[] {
  return Object.entries(counts).flatMap(([value, n]) => new Array<string>(n).fill(value));
}

const fill = <T>(n: number, value: T): T[] => new Array<T>(n).fill(value);

function check(checks: QualityCheck[], name: QualityCheckName): QualityCheck {
  const found = checks.find((c) => c.check === name);
  if (!found) throw new Error(`no ${name} check among ${checks.map((c) => c.check).join(", ")}`);
  return found;
}

// 1, 2, …, 100: nearest-rank percentile k is k, so the edges are 0, 1, …, 99 and just above 100.
const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe("proposeRules", () => {
  it("learns type, presence, range and sign of a numeric feature", () => {
    expect(proposeRules(numericProfile([2, 5, 5, 9]))).toEqual({
      type: "numeric",
      required: true,
      max_null_fraction: 0,
      min: 2,
      max: 9,
      non_negative: true,
    });
    // one row lacks the feature, one of the three present values is null
    expect(proposeRules(numericProfile([-1, 3, null, undefined]))).toEqual({
      type: "numeric",
      required: false,
      max_null_fraction: 0.333333,
      min: -1,
      max: 3,
      non_negative: false,
    });
    expect(proposeRules(numericProfile([0, 4]))).toMatchObject({ min: 0, non_negative: true });
  });

  it("learns no range without numbers, and no presence without rows", () => {
    const onlyNulls = proposeRules(numericProfile([null, null]));
    expect(onlyNulls).toEqual({ type: "numeric", required: true, max_null_fraction: 1 });
    expect(proposeRules(numericProfile([]))).toEqual({ type: "numeric", required: false, max_null_fraction: 0 });
  });

  it("allows the reference's categories only when it has no values outside them", () => {
    expect(proposeRules(categoricalProfile(repeat({ a: 3, b: 1 })))).toEqual({
      type: "categorical",
      required: true,
      max_null_fraction: 0,
      allowed: ["a", "b"],
    });
    const cut = categoricalProfile(repeat({ a: 3, b: 1, c: 1 }), ["a", "b"]);
    expect(cut.counts[0]).toBe(1);
    expect(proposeRules(cut).allowed).toBeUndefined();
  });
});

describe("checkQuality: bounds", () => {
  it("breaks a declared bound with a single value", () => {
    const rule = { min: 10, max: 90 };
    const profile = numericProfile(oneToHundred, rule);
    const window = summariseValues(profile, [...fill(998, 50), 9.999, 90.001]);
    const checks = checkQuality(profile, window, rule);
    expect(check(checks, "below_min")).toMatchObject({ rule: "declared", violated: true, count: 1, value: 9.999, expected: 10 });
    expect(check(checks, "above_max")).toMatchObject({ rule: "declared", violated: true, count: 1, value: 90.001, expected: 90 });
    expect(check(checks, "below_min").detail).toBe("1 of 1000 values below 10");

    // the bounds themselves are allowed
    const onBounds = checkQuality(profile, summariseValues(profile, [10, 90, 50]), rule);
    expect(check(onBounds, "below_min")).toMatchObject({ violated: false, count: 0 });
    expect(check(onBounds, "above_max")).toMatchObject({ violated: false, count: 0 });
  });

  it("tolerates up to 1% of a window beyond a learned bound", () => {
    const profile = numericProfile(oneToHundred);
    expect(LEARNED_TOLERANCE).toBe(0.01);
    // 10 of 1000 below the learned minimum 1 is exactly 1%: tolerated; 11 is not
    const atTolerance = checkQuality(profile, summariseValues(profile, [...fill(990, 50), ...fill(10, 0.5)]), undefined);
    expect(check(atTolerance, "below_min")).toMatchObject({ rule: "learned", expected: 1, count: 10, violated: false });
    const beyond = checkQuality(profile, summariseValues(profile, [...fill(989, 50), ...fill(11, 0.5)]), undefined);
    expect(check(beyond, "below_min")).toMatchObject({ count: 11, violated: true });
    const aboveMax = checkQuality(profile, summariseValues(profile, [...fill(989, 50), ...fill(11, 100.5)]), undefined);
    expect(check(aboveMax, "above_max")).toMatchObject({ rule: "learned", expected: 100, count: 11, violated: true });
  });

  it("counts the values beyond a bound exactly when the bound is an edge", () => {
    const random = seededRandom(31);
    const reference = Array.from({ length: 500 }, () => random() * 40 - 10);
    const rule = { min: -5, max: 25 };
    const profile = numericProfile(reference, rule);
    for (let trial = 0; trial < 20; trial++) {
      // a wider window, with values exactly on the bounds and on the reference's range
      const window = Array.from({ length: 400 }, () => random() * 60 - 20);
      window.push(-5, 25, profile.min, profile.max, 0);
      const summary = summariseValues(profile, window);
      const declared = checkQuality(profile, summary, rule);
      expect(check(declared, "below_min").count).toBe(window.filter((x) => x < -5).length);
      expect(check(declared, "above_max").count).toBe(window.filter((x) => x > 25).length);
      // the learned range: the reference's min and max are edges too
      const learned = checkQuality(profile, summary, { non_negative: true });
      expect(check(learned, "below_min").count).toBe(window.filter((x) => x < profile.min).length);
      expect(check(learned, "above_max").count).toBe(window.filter((x) => x > profile.max).length);
      expect(check(learned, "negative")).toMatchObject({ rule: "declared", count: window.filter((x) => x < 0).length });
    }
  });

  it("counts only whole bins beyond a bound declared after the reference was built", () => {
    const profile = numericProfile(oneToHundred);
    const window = summariseValues(profile, [9.5, 10.2, 50, 50.7, 51]);
    const checks = checkQuality(profile, window, { min: 10.5, max: 50.5 });
    // 10.5 lies in the bin [10, 11): only the bins below 10 are wholly below it (9.5, not 10.2)
    expect(check(checks, "below_min")).toMatchObject({ count: 1, violated: true });
    // 50.5 lies in [50, 51): only [51, …) is wholly above it (51, not 50.7)
    expect(check(checks, "above_max")).toMatchObject({ count: 1, violated: true });
  });

  it("checks the sign when declared, strictly", () => {
    const profile = numericProfile([-3, 1, 2]);
    expect(proposeRules(profile).non_negative).toBe(false);
    const window = summariseValues(profile, [...fill(999, 1), -0.5]);
    expect(checkQuality(profile, window, undefined).some((c) => c.check === "negative")).toBe(false);
    expect(check(checkQuality(profile, window, { non_negative: true }), "negative")).toMatchObject({
      rule: "declared",
      violated: true,
      count: 1,
      value: -0.5,
    });
  });

  it("tolerates a few negative values under a learned non-negative rule", () => {
    const profile = numericProfile(oneToHundred);
    const checks = checkQuality(profile, summariseValues(profile, [...fill(995, 50), ...fill(5, -1)]), undefined);
    expect(check(checks, "below_min")).toMatchObject({ rule: "learned", count: 5, violated: false });
    expect(check(checks, "negative")).toMatchObject({ rule: "learned", count: 5, violated: false });
  });
});

describe("checkQuality: presence, nulls and types", () => {
  it("tolerates 1% missing under a learned requirement and none under a declared one", () => {
    const profile = numericProfile(oneToHundred);
    const window = (absent: number) => summariseValues(profile, [...fill(1000 - absent, 5), ...fill<FeatureValue>(absent, undefined)]);
    expect(check(checkQuality(profile, window(10), undefined), "missing")).toMatchObject({
      rule: "learned",
      count: 10,
      value: 0.01,
      violated: false,
    });
    expect(check(checkQuality(profile, window(11), undefined), "missing")).toMatchObject({ count: 11, violated: true });
    expect(check(checkQuality(profile, window(1), { required: true }), "missing")).toMatchObject({
      rule: "declared",
      count: 1,
      violated: true,
      detail: "1 of 1000 predictions lack the feature",
    });
    // a reference that sometimes lacked the feature requires nothing, unless declared
    const optional = numericProfile([...oneToHundred, undefined]);
    expect(checkQuality(optional, window(500), undefined).some((c) => c.check === "missing")).toBe(false);
    expect(check(checkQuality(optional, window(500), { required: true }), "missing").violated).toBe(true);
  });

  it("holds the null share to a declared maximum", () => {
    const profile = numericProfile(oneToHundred);
    const window = (nulls: number) => summariseValues(profile, [...fill(1000 - nulls, 5), ...fill(nulls, null)]);
    expect(check(checkQuality(profile, window(100), { max_null_fraction: 0.1 }), "null_fraction")).toMatchObject({
      rule: "declared",
      value: 0.1,
      expected: 0.1,
      count: 100,
      violated: false,
    });
    expect(check(checkQuality(profile, window(101), { max_null_fraction: 0.1 }), "null_fraction")).toMatchObject({
      count: 101,
      violated: true,
    });
    // a reference without nulls learns 0 (+ a point of slack): 1% of nulls passes, 2% does not
    expect(check(checkQuality(profile, window(10), undefined), "null_fraction")).toMatchObject({
      rule: "learned",
      expected: 0.01,
      violated: false,
    });
    expect(check(checkQuality(profile, window(20), undefined), "null_fraction").violated).toBe(true);
  });

  it("allows a learned null share three standard errors and a point above the reference's", () => {
    // reference: 5 nulls of 100 values → 0.05; window of 400 present values:
    // 0.05 + 3·√(0.05·0.95/400) + 0.01 = 0.05 + 0.0326917 + 0.01 = 0.0926917
    const profile = numericProfile([...oneToHundred.slice(0, 95), ...fill(5, null)]);
    const window = (nulls: number) => summariseValues(profile, [...fill(400 - nulls, 5), ...fill(nulls, null)]);
    const at37 = check(checkQuality(profile, window(37), undefined), "null_fraction");
    expect(at37.expected).toBeCloseTo(0.0926917, 7);
    expect(at37).toMatchObject({ rule: "learned", value: 37 / 400, violated: false });
    expect(check(checkQuality(profile, window(38), undefined), "null_fraction")).toMatchObject({ value: 0.095, violated: true });
  });

  it("flags values of the other type", () => {
    const numeric = numericProfile(oneToHundred);
    expect(check(checkQuality(numeric, summariseValues(numeric, [1, 2, "3", true]), undefined), "type_mismatch")).toMatchObject({
      rule: "learned",
      count: 2,
      value: 0.5,
      violated: true,
      detail: "2 values are not numbers",
    });
    expect(check(checkQuality(numeric, summariseValues(numeric, [1, 2]), { type: "numeric" }), "type_mismatch")).toMatchObject({
      rule: "declared",
      count: 0,
      violated: false,
    });
    const categorical = categoricalProfile(repeat({ a: 5 }));
    expect(check(checkQuality(categorical, summariseValues(categorical, ["a", 7, false]), undefined), "type_mismatch")).toMatchObject({
      count: 1,
      violated: true,
      detail: "1 values are not strings or booleans",
    });
  });

  it("reports a feature neither the reference nor the rules know", () => {
    const window: FeatureSummary = { ...emptySummary("surprise", 1, false), rows: 50, present: 20, n: 20, counts: [20] };
    expect(checkQuality(undefined, window, undefined)).toEqual([
      {
        feature: "surprise",
        check: "unknown_feature",
        value: 20,
        expected: 0,
        violated: true,
        count: 20,
        rule: "learned",
        detail: "20 predictions carry a feature the reference does not have",
      },
    ]);
    expect(checkQuality(undefined, { ...window, present: 0 }, undefined)[0]!.violated).toBe(false);
    expect(checkQuality(undefined, window, { type: "numeric" })).toEqual([]);
  });
});

describe("checkQuality: categories", () => {
  // p = 0.5, 0.3, 0.195, 0.005
  const profile = categoricalProfile(repeat({ a: 500, b: 300, c: 195, d: 5 }));

  it("reports a category expected often enough and absent as vanished, not a rare one", () => {
    expect(VANISHED_EXPECTED_COUNT).toBe(10);
    // 100 values: c expected 19.5 times, d 0.5 times; neither appears
    const checks = checkQuality(profile, summariseValues(profile, repeat({ a: 60, b: 40 })), undefined);
    const cardinality = check(checks, "cardinality");
    expect(cardinality).toMatchObject({ rule: "learned", violated: true, count: 1, value: 2, detail: "vanished: c" });
    // expected distinct = Σ 1 − (1 − p)^100 = (1 − 0.5^100) + (1 − 0.7^100) + (1 − 0.805^100) + (1 − 0.995^100) ≈ 3.394230
    expect(cardinality.expected).toBeCloseTo(1 - 0.5 ** 100 + (1 - 0.7 ** 100) + (1 - 0.805 ** 100) + (1 - 0.995 ** 100), 6);
    expect(cardinality.expected).toBeCloseTo(3.39423, 6);
  });

  it("does not call a category vanished below the expected count", () => {
    const rare = categoricalProfile(repeat({ a: 900, b: 100 }));
    // b expected 9.9 times in 99 values, 10.1 times in 101
    expect(check(checkQuality(rare, summariseValues(rare, repeat({ a: 99 })), undefined), "cardinality")).toMatchObject({
      violated: false,
      count: 0,
      detail: "1 of 2 reference categories seen",
    });
    expect(check(checkQuality(rare, summariseValues(rare, repeat({ a: 101 })), undefined), "cardinality")).toMatchObject({
      violated: true,
      detail: "vanished: b",
    });
  });

  it("counts categories seen and new ones in the cardinality", () => {
    const checks = checkQuality(profile, summariseValues(profile, repeat({ a: 50, b: 25, c: 20, d: 1, x: 2, y: 2 })), undefined);
    expect(check(checks, "cardinality")).toMatchObject({ value: 4 + 2, violated: false, detail: "4 of 4 reference categories seen" });
  });

  it("tolerates 1% of new categories when none are declared", () => {
    const atTolerance = checkQuality(profile, summariseValues(profile, repeat({ a: 60, b: 39, z: 1 })), undefined);
    expect(check(atTolerance, "new_categories")).toMatchObject({
      rule: "learned",
      count: 1,
      value: 0.01,
      violated: false,
      detail: "new: z",
    });
    const beyond = checkQuality(profile, summariseValues(profile, repeat({ a: 60, b: 38, z: 1, y: 1 })), undefined);
    expect(check(beyond, "new_categories")).toMatchObject({ count: 2, violated: true, detail: "new: z, y" });
    const none = checkQuality(profile, summariseValues(profile, repeat({ a: 60, b: 40 })), undefined);
    expect(check(none, "new_categories")).toMatchObject({ count: 0, violated: false, detail: "none" });
  });

  it("holds values to a declared list strictly", () => {
    const allowed = { allowed: ["a", "b", "c", "e"] };
    // d is a reference category outside the list
    const d = checkQuality(profile, summariseValues(profile, repeat({ a: 999, d: 1 })), allowed);
    expect(check(d, "new_categories")).toMatchObject({ rule: "declared", count: 1, violated: true });
    // e is new to the reference but allowed
    const e = checkQuality(profile, summariseValues(profile, repeat({ a: 900, e: 100 })), allowed);
    expect(check(e, "new_categories")).toMatchObject({ rule: "declared", count: 0, violated: false });
    const q = checkQuality(profile, summariseValues(profile, repeat({ a: 999, q: 1 })), allowed);
    expect(check(q, "new_categories")).toMatchObject({ count: 1, violated: true, detail: "new: q" });
    // with an unlisted example among them, every unseen value counts
    const both = checkQuality(profile, summariseValues(profile, repeat({ a: 990, e: 9, q: 1 })), allowed);
    expect(check(both, "new_categories")).toMatchObject({ count: 10, violated: true });
  });

  it("does not count the reference's own long tail as new categories", () => {
    const reference = categoricalProfile(repeat({ a: 40, b: 30, c: 20, d: 10 }), ["a", "b"]);
    expect(reference.counts).toEqual([30, 40, 30]);
    const checks = checkQuality(reference, summariseValues(reference, repeat({ a: 40, b: 30, c: 20, d: 10 })), undefined);
    expect(check(checks, "new_categories").violated).toBe(false);
  });
});
