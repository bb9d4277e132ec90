import { describe, expect, it } from "vitest";
import { pairedReport, pairedWindowReport, selectPair, swapped, type VariantPair } from "./paired-report.js";
import { addErrorPair, EMPTY_ERRORS } from "./paired.js";

// Fagerland, Lydersen & Laake (2017), ch. 8, Cavo et al.'s table [[59, 6], [16, 80]] (as in paired.test.ts):
// B right and A wrong in 6 pairs, A right and B wrong in 16.
const cavo: VariantPair = {
  a: { version: "v1", stage: "production" },
  b: { version: "v2", stage: "shadow" },
  pairs: 200,
  agreeing: 150,
  bothRight: 59,
  onlyA: 16,
  onlyB: 6,
  bothWrong: 80,
  errors: EMPTY_ERRORS,
};
const other: VariantPair = { ...cavo, a: { version: "v1", stage: "production" }, b: { version: "v3", stage: "canary" }, pairs: 40 };

describe("choosing the pair of variants", () => {
  it("takes the pair seen on the most requests when none is named", () => {
    expect(selectPair([other, cavo])).toEqual({ ok: true, pair: cavo });
    expect(selectPair([])).toMatchObject({ ok: false, status: 404, code: "no_pairs" });
  });

  it("orients the stored pair as asked: B's side swaps the discordant cells, the error sums and the sign of d", () => {
    const errors = addErrorPair(addErrorPair(EMPTY_ERRORS, 1, 3), 2, 1); // d = 2, −1
    const stored = { ...cavo, errors };
    const asked = selectPair([stored], { version: "v2" }, { version: "v1" });
    expect(asked.ok && asked.pair).toMatchObject({
      a: cavo.b,
      b: cavo.a,
      onlyA: 6,
      onlyB: 16,
      errors: { n: 2, mean: -0.5, m2: errors.m2, absErrorA: 4, absErrorB: 3 },
    });
    expect(swapped(swapped(stored))).toEqual(stored);
  });

  it("answers 400 for half a pair or a version under several stages, 404 for a variant never paired", () => {
    expect(selectPair([cavo], { version: "v1" })).toMatchObject({ ok: false, status: 400, message: /give both a and b/ });
    const twoStages = { ...cavo, b: { version: "v2", stage: "canary" } };
    const ambiguous = selectPair([cavo, twoStages], { version: "v1" }, { version: "v2" });
    expect(ambiguous).toMatchObject({ ok: false, status: 400, code: "ambiguous_variant", message: /give a_stage and b_stage/ });
    expect(selectPair([cavo, twoStages], { version: "v1" }, { version: "v2", stage: "canary" })).toMatchObject({ ok: true });
    const unknown = selectPair([cavo], { version: "v1" }, { version: "v9" });
    expect(unknown).toMatchObject({ ok: false, status: 404, code: "unknown_variant" });
    expect(!unknown.ok && unknown.message).toBe(
      "no paired traffic of version 'v9' in this range; variants seen on shared requests: v1 (production), v2 (shadow)",
    );
    // Both seen, never on the same requests.
    expect(selectPair([other, { ...cavo, a: { version: "v0", stage: "x" } }], { version: "v3" }, { version: "v2" })).toMatchObject({
      status: 404,
      message: /these two variants were not scored on the same requests/,
    });
    expect(selectPair([cavo], { version: "v1", stage: "production" }, { version: "v1", stage: "production" })).toMatchObject({
      status: 400,
      message: /same variant/,
    });
  });
});

describe("the report", () => {
  it("gives the classification figures of the table with the reading", () => {
    const r = pairedReport("binary", cavo, 0.95, { minPairs: 100, margin: 0 });
    expect(r.classification?.table).toEqual({ both_right: 59, only_a: 16, only_b: 6, both_wrong: 80 });
    expect(r.classification?.accuracy_a).toBeCloseTo(75 / 161, 12);
    expect(r.classification?.accuracy_b).toBeCloseTo(65 / 161, 12);
    // Newcombe's interval as the book prints it, and the exact McNemar p = 2 · 110056 / 2²² (by hand).
    expect(r.classification?.difference.value).toBeCloseTo(-10 / 161, 12);
    expect(r.classification?.difference.low).toBeCloseTo(-0.1186, 4);
    expect(r.classification?.difference.high).toBeCloseTo(-0.0046, 4);
    expect(r.classification?.mcnemar).toMatchObject({ method: "exact", discordant: 22 });
    expect(r.classification?.mcnemar.p_value).toBeCloseTo((2 * 110056) / 4194304, 12);
    // Agreement over every pair, labelled or not: 150 / 200 with its Wilson interval (z = 1.959964):
    // (0.75 + z²/400 ± z·√(0.75·0.25/200 + z²/160000)) / (1 + z²/200) = [0.685659017, 0.804918320] (by hand, in Python).
    expect(r.agreement?.value).toBe(0.75);
    expect(r.agreement?.low).toBeCloseTo(0.685659017, 8);
    expect(r.agreement?.high).toBeCloseTo(0.80491832, 8);
    // The whole interval lies below 0: the candidate is worse.
    expect(r.reading).toBe("roll back");
    expect(r.evidence).toMatch(/interval lies below −margin/);
    expect(r.regression).toBeNull();
  });

  it("gives the regression figures of the moments with the reading", () => {
    let errors = EMPTY_ERRORS;
    for (const [a, b] of [
      [2, 1],
      [3, 1],
      [1, 1],
      [4, 2],
    ] as const)
      errors = addErrorPair(errors, a, b);
    const r = pairedReport("regression", { ...cavo, errors }, 0.95, { minPairs: 2, margin: 0 });
    // d = −1, −2, 0, −2: mean −1.25, sd √(2.75/3); t(0.975, 3) = 3.182446305284263 (scipy.stats.t.ppf).
    const half = (3.182446305284263 * Math.sqrt(2.75 / 3)) / 2;
    expect(r.regression).toMatchObject({ labelled_pairs: 4, mae_a: 2.5, mae_b: 1.25 });
    expect(r.regression?.difference?.value).toBeCloseTo(-1.25, 12);
    expect(r.regression?.difference?.low).toBeCloseTo(-1.25 - half, 9);
    expect(r.regression?.difference?.high).toBeCloseTo(-1.25 + half, 9);
    // The interval of the gain (−d) straddles 0: hold.
    expect(r.reading).toBe("hold");
    expect(r.agreement).toBeNull();
    expect(r.classification).toBeNull();
  });
});

describe("one window of the comparison over time", () => {
  it("gives a classification window Newcombe's interval of its own table, as the total over the same counts", () => {
    const w = pairedWindowReport("binary", cavo, 0.95);
    // Newcombe's method 10 on Cavo et al.'s table: −0.0621 (−0.1186 to −0.0046), Fagerland et al. (2017), ch. 8.
    expect(w).toMatchObject({ pairs: 200, labelled: 161 });
    const d = "accuracy_difference" in w ? w.accuracy_difference : undefined;
    expect(d?.value).toBeCloseTo(-10 / 161, 12);
    expect(d?.low).toBeCloseTo(-0.1186, 4);
    expect(d?.high).toBeCloseTo(-0.0046, 4);
    expect(d).toEqual(pairedReport("binary", cavo, 0.95, { minPairs: 1, margin: 0 }).classification?.difference);
    // Read from B's side, the interval mirrors.
    const back = pairedWindowReport("multiclass", swapped(cavo), 0.95);
    const mirrored = "accuracy_difference" in back ? back.accuracy_difference : undefined;
    expect(mirrored?.value).toBeCloseTo(10 / 161, 12);
    expect(mirrored?.low).toBeCloseTo(-(d?.high ?? 0), 12);
    expect(mirrored?.high).toBeCloseTo(-(d?.low ?? 0), 12);
  });

  it("has no classification difference without labelled pairs, and keeps the window's pairs", () => {
    const unlabelled = { ...cavo, pairs: 9, bothRight: 0, onlyA: 0, onlyB: 0, bothWrong: 0 };
    expect(pairedWindowReport("binary", unlabelled, 0.95)).toEqual({ pairs: 9, labelled: 0, accuracy_difference: null });
  });

  it("gives a regression window the t-interval of its moments, null below 2 labelled pairs", () => {
    let errors = EMPTY_ERRORS;
    for (const [a, b] of [
      [2, 1],
      [3, 1],
      [1, 1],
      [4, 2],
    ] as const)
      errors = addErrorPair(errors, a, b);
    const w = pairedWindowReport("regression", { ...cavo, pairs: 5, errors }, 0.95);
    // d = −1, −2, 0, −2: mean −1.25, sd √(2.75/3); t(0.975, 3) = 3.182446305284263 (scipy.stats.t.ppf).
    const half = (3.182446305284263 * Math.sqrt(2.75 / 3)) / 2;
    expect(w).toMatchObject({ pairs: 5, labelled: 4 });
    const d = "abs_error_difference" in w ? w.abs_error_difference : undefined;
    expect(d?.value).toBeCloseTo(-1.25, 12);
    expect(d?.low).toBeCloseTo(-1.25 - half, 9);
    expect(d?.high).toBeCloseTo(-1.25 + half, 9);
    expect(pairedWindowReport("regression", { ...cavo, errors: addErrorPair(EMPTY_ERRORS, 2, 1) }, 0.95)).toEqual({
      pairs: 200,
      labelled: 1,
      abs_error_difference: null,
    });
  });
});
