import { beforeAll, describe, expect, it } from "vitest";
import type { FeatureRule } from "../../../../schemas/models.js";
import { DRIFT_DEFAULTS, decideDrift, defaultMethod, featureStatistics, type FeatureInput } from "./feature-drift.js";
import { MAX_CATEGORIES, PERCENTILES, featureKind, numericEdges, type FeatureProfile, type RawFeatureStats } from "./profile.js";
import { populationStabilityIndex } from "./psi.js";
import { seededRandom } from "./scipy-cases.fixture.js";
import { emptySummary, summariseValues, type FeatureValue } from "./summary.js";

type Values = ArrayLike<FeatureValue> & Iterable<FeatureValue>;

/**
 * A reference profile built the way storage builds one: exact nearest-rank percentiles 1..99,
 * range, mean and population deviation of the numbers; categories by falling frequency; then
 * the reference's own counts on those bins.
 */
function buildProfile(feature: string, values: Values, rule?: FeatureRule): FeatureProfile {
  let present = 0;
  let nulls = 0;
  let strings = 0;
  const numbers: number[] = [];
  const frequency = new Map<string, number>();
  for (const v of values) {
    if (v === undefined) continue;
    present++;
    if (v === null) nulls++;
    else if (typeof v === "number") numbers.push(v);
    else {
      strings++;
      frequency.set(String(v), (frequency.get(String(v)) ?? 0) + 1);
    }
  }
  const sorted = Float64Array.from(numbers).sort();
  const at = (k: number) => (sorted.length === 0 ? NaN : sorted[Math.ceil((k * sorted.length) / 100) - 1]!);
  const stats: RawFeatureStats = {
    feature,
    rows: values.length,
    present,
    nulls,
    numbers: numbers.length,
    strings,
    percentiles: PERCENTILES.map((_, i) => at(i + 1)),
    min: sorted.length === 0 ? NaN : sorted[0]!,
    max: sorted.length === 0 ? NaN : sorted.at(-1)!,
  };
  const base = { feature, rows: values.length, present, nulls, mismatches: 0, n: 0 };
  let shell: FeatureProfile;
  if (featureKind(stats, rule) === "numeric") {
    const { edges, coarseEdges } = numericEdges(stats, rule);
    let sum = 0;
    for (const x of numbers) sum += x;
    const mean = numbers.length === 0 ? 0 : sum / numbers.length;
    let squares = 0;
    for (const x of numbers) squares += (x - mean) ** 2;
    const std = numbers.length === 0 ? 0 : Math.sqrt(squares / numbers.length);
    shell = {
      ...base,
      kind: "numeric",
      edges,
      coarseEdges,
      counts: new Array<number>(edges.length + 1).fill(0),
      sums: [],
      min: stats.min,
      max: stats.max,
      mean,
      std,
    };
  } else {
    const categories = [...frequency.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_CATEGORIES)
      .map(([c]) => c);
    shell = { ...base, kind: "categorical", categories, counts: new Array<number>(categories.length + 1).fill(0) };
  }
  const own = summariseValues(shell, values);
  return shell.kind === "numeric"
    ? { ...shell, n: own.n, mismatches: own.mismatches, counts: own.counts, sums: own.sums }
    : { ...shell, n: own.n, mismatches: own.mismatches, counts: own.counts };
}

/** {a: 2, b: 1} → ["a", "a", "b"] */
function repeat(counts: Record<string, number>): string[] {
  return Object.entries(counts).flatMap(([value, n]) => new Array<string>(n).fill(value));
}

function normalSampler(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function input(feature: string, reference: Values, window: Values, rule?: FeatureRule): FeatureInput {
  const profile = buildProfile(feature, reference, rule);
  return { profile, window: summariseValues(profile, window), rule };
}

describe("defaultMethod", () => {
  it("tests significance up to 1,000 values and measures an effect size above", () => {
    expect(defaultMethod("numeric", 30)).toBe("ks");
    expect(defaultMethod("numeric", 1000)).toBe("ks");
    expect(defaultMethod("numeric", 1001)).toBe("wasserstein");
    expect(defaultMethod("categorical", 30)).toBe("chi_square");
    expect(defaultMethod("categorical", 1000)).toBe("chi_square");
    expect(defaultMethod("categorical", 1001)).toBe("jensen_shannon");
    expect(DRIFT_DEFAULTS).toMatchObject({ minSamples: 30, largeSample: 1000 });
  });
});

describe("decideDrift", () => {
  const random = seededRandom(7);
  const normal = normalSampler(random);
  const reference = Array.from({ length: 2000 }, normal);

  it("makes no decision below the minimum sample", () => {
    const far = Array.from({ length: 40 }, () => normal() + 5);
    const [few, enough] = decideDrift([input("few", reference, far.slice(0, 29)), input("enough", reference, far.slice(0, 30))]);
    expect(few).toMatchObject({ n: 29, decision: "insufficient_data", drifted: false, pValue: null, method: "ks" });
    // the statistics are still computed and stored
    expect(few!.ks).toBeGreaterThan(0.9);
    expect(enough).toMatchObject({ n: 30, decision: "drift", drifted: true, method: "ks" });

    const [lowered] = decideDrift([input("lowered", reference, far.slice(0, 12), { drift: { min_samples: 10 } })]);
    expect(lowered).toMatchObject({ n: 12, decision: "drift" });
  });

  it("honours a rule's method and threshold", () => {
    const window = Array.from({ length: 800 }, () => normal() * 1.3 + 0.2);
    const feature = input("x", reference, window, { drift: { method: "psi", threshold: 0.05 } });
    const [d] = decideDrift([feature]);
    // PSI on the deciles, from the raw values binned directly
    const coarse = feature.profile.kind === "numeric" ? feature.profile.coarseEdges : [];
    const bin = (values: number[]) => {
      const counts = new Array<number>(coarse.length + 1).fill(0);
      for (const x of values) counts[coarse.filter((e) => e <= x).length]!++;
      return counts;
    };
    const psi = populationStabilityIndex(bin(reference), bin(window));
    expect(d).toMatchObject({ method: "psi", threshold: 0.05, pValue: null });
    expect(d!.score).toBeCloseTo(psi, 12);
    expect(psi).toBeGreaterThan(0.05);
    expect(d!.decision).toBe("drift");

    // only the threshold: the default method, judged against it
    const [lenient] = decideDrift([input("x", reference, window, { drift: { threshold: 1e-12 } })]);
    expect(lenient).toMatchObject({ method: "ks", threshold: 1e-12, decision: "no_drift" });
    expect(lenient!.pValue).toBeGreaterThan(1e-12);
  });

  it("falls back to the default test when the rule's method does not fit the feature's kind", () => {
    const numericWindow = Array.from({ length: 500 }, normal);
    const [chi] = decideDrift([input("x", reference, numericWindow, { drift: { method: "chi_square" } })]);
    expect(chi).toMatchObject({ method: "ks", threshold: DRIFT_DEFAULTS.thresholds.ks });
    expect(chi!.score).toBe(chi!.ks);

    const categories = repeat({ a: 600, b: 400 });
    const [ks] = decideDrift([input("c", categories, repeat({ a: 300, b: 200 }), { drift: { method: "ks" } })]);
    expect(ks).toMatchObject({ method: "chi_square", threshold: DRIFT_DEFAULTS.thresholds.chi_square, score: 0, pValue: 1 });
    const [w] = decideDrift([input("c", categories, repeat({ a: 1200, b: 800 }), { drift: { method: "wasserstein" } })]);
    expect(w).toMatchObject({
      method: "jensen_shannon",
      threshold: DRIFT_DEFAULTS.thresholds.jensen_shannon,
      score: 0,
      decision: "no_drift",
    });
  });

  it("drops a threshold declared for a method that does not apply", () => {
    const window = Array.from({ length: 2000 }, normal);
    const [d] = decideDrift([input("x", reference, window, { drift: { method: "chi_square", threshold: 0.01 } })]);
    expect(d).toMatchObject({ method: "wasserstein", threshold: DRIFT_DEFAULTS.thresholds.wasserstein, decision: "no_drift" });
  });

  describe("Benjamini–Hochberg across the features decided by a p-value", () => {
    // Three categories, 100 each in the reference and 300 values in the window. With equal totals
    // the expected counts are (r + c)/2, so χ² = Σ (r − c)²/(r + c); with 3 categories dof = 2
    // and the chi-square tail is exactly exp(−χ²/2).
    const ref = repeat({ a: 100, b: 100, c: 100 });
    const chiA = 25 ** 2 / 225 + 25 ** 2 / 175; // window 125/100/75: 6.3492 → p = 0.04182
    const chiB = 10 ** 2 / 210 + 10 ** 2 / 190; // window 110/100/90: 1.0025 → p = 0.6058
    const pA = Math.exp(-chiA / 2);
    const pB = Math.exp(-chiB / 2);
    const a = () => input("a", ref, repeat({ a: 125, b: 100, c: 75 }));
    const b = () => input("b", ref, repeat({ a: 110, b: 100, c: 90 }));
    const c = () => input("c", ref, repeat({ a: 100, b: 100, c: 100 }));

    it("decides on the adjusted p-value, so a raw p below 0.05 can pass", () => {
      const [da, db, dc] = decideDrift([a(), b(), c()]);
      expect(da!.chi2).toBeCloseTo(chiA, 12);
      expect(da!.chi2PValue).toBeCloseTo(pA, 12);
      expect(pA).toBeLessThan(0.05);
      // sorted p: pA, pB, 1 (m = 3). q3 = 1, q2 = min(1, pB·3/2) = 0.9087, q1 = min(q2, pA·3) = 0.1255
      expect(da!.pValue).toBeCloseTo(3 * pA, 12);
      expect(db!.pValue).toBeCloseTo((3 / 2) * pB, 12);
      expect(dc!.pValue).toBe(1);
      for (const d of [da, db, dc]) expect(d).toMatchObject({ method: "chi_square", decision: "no_drift", drifted: false });

      // alone, the same feature is its own family and drifts
      const [single] = decideDrift([a()]);
      expect(single!.pValue).toBeCloseTo(pA, 12);
      expect(single).toMatchObject({ decision: "drift", drifted: true });
    });

    it("counts KS features in the family, and leaves out distance-decided and undecided ones", () => {
      const numericRef = reference.slice(0, 500);
      const ks = input("ks", numericRef, numericRef); // identical: KS = 0, p = 1
      const large = input(
        "large",
        reference,
        reference.map((x) => x + 3),
      ); // 2000 values: Wasserstein
      const few = input("few", ref, repeat({ a: 20 })); // 20 values: no decision, tiny raw p
      const [da, , , dks, dLarge, dFew] = decideDrift([a(), b(), c(), ks, large, few]);
      // m = 4 (a, b, c, ks): q1 = min(pA·4, pB·4/2, 1, 1) = 4·pA
      expect(da!.pValue).toBeCloseTo(4 * pA, 12);
      expect(dks).toMatchObject({ method: "ks", score: 0, pValue: 1, decision: "no_drift" });
      expect(dLarge).toMatchObject({ method: "wasserstein", pValue: null, decision: "drift" });
      expect(dLarge!.ksPValue).toBeLessThan(1e-10);
      expect(dFew).toMatchObject({ method: "chi_square", pValue: null, decision: "insufficient_data" });
      expect(dFew!.chi2PValue).toBeLessThan(1e-6);
    });
  });

  it("has no score when one side has no values", () => {
    const profile = buildProfile("x", reference);
    const [empty] = decideDrift([{ profile, window: emptySummary("x", profile.counts.length, true) }]);
    expect(empty).toMatchObject({
      n: 0,
      score: null,
      pValue: null,
      ks: null,
      wasserstein: null,
      psi: null,
      drifted: false,
      decision: "insufficient_data",
    });

    // a reference that only ever held nulls
    const nullsOnly = buildProfile("c", [null, null, null]);
    expect(nullsOnly).toMatchObject({ kind: "categorical", n: 0 });
    const window = summariseValues(nullsOnly, repeat({ a: 50 }));
    expect(featureStatistics(nullsOnly, window)).toEqual({
      psi: null,
      ks: null,
      ksPValue: null,
      ksErrorBound: null,
      jensenShannon: null,
      jensenShannonExpected: null,
      jensenShannonCorrected: null,
      jensenShannonBeyondNoise: null,
      wasserstein: null,
      wassersteinErrorBound: null,
      chi2: null,
      chi2PValue: null,
      unseenShare: null,
    });
    const [d] = decideDrift([{ profile: nullsOnly, window }]);
    expect(d).toMatchObject({ n: 50, referenceN: 0, score: null, pValue: null, decision: "insufficient_data" });
  });

  it("reports the share of unseen categories", () => {
    const [d] = decideDrift([input("c", repeat({ a: 50, b: 50 }), repeat({ a: 40, b: 40, z: 20 }))]);
    expect(d!.unseenShare).toBe(0.2);
    expect(d!.ks).toBeNull();
  });
});

describe("decideDrift on a stream with no real change", () => {
  // The product's requirement: with 1,000,000 rows per window and nothing changed, no feature is
  // flagged. Reference and window are drawn from the same distributions.
  const REFERENCE_ROWS = 100_000;
  const WINDOW_ROWS = 1_000_000;

  const random = seededRandom(20_240_601);
  const normal = normalSampler(random);
  const poisson3 = () => {
    // Knuth: count uniforms until their product drops below e^-3
    const limit = Math.exp(-3);
    let k = 0;
    for (let p = random(); p > limit; p *= random()) k++;
    return k;
  };
  const categorical = (names: string[], weights: number[]) => {
    const total = weights.reduce((s, w) => s + w, 0);
    let running = 0;
    const cumulative = weights.map((w) => (running += w / total));
    return () => {
      const u = random();
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      return names[lo]!;
    };
  };
  const names = (prefix: string, k: number) => Array.from({ length: k }, (_, i) => `${prefix}${i}`);
  const cat3 = categorical(["red", "green", "blue"], [0.6, 0.3, 0.1]);
  const cat8 = categorical(names("c", 8), [40, 20, 12, 10, 8, 5, 3, 2]);
  const cat200 = categorical(
    names("zip", 200),
    Array.from({ length: 200 }, (_, i) => 1 / (i + 1)),
  );

  const features: Array<{ name: string; numeric: boolean; draw: () => FeatureValue }> = [
    { name: "normal", numeric: true, draw: () => 50 + 10 * normal() },
    { name: "lognormal", numeric: true, draw: () => Math.exp(normal()) },
    { name: "poisson", numeric: true, draw: poisson3 },
    { name: "uniform", numeric: true, draw: () => random() * 2 - 1 },
    { name: "with_nulls", numeric: false, draw: () => (random() < 0.05 ? null : normal()) },
    { name: "prediction.score", numeric: true, draw: () => random() ** 2 },
    { name: "colour", numeric: false, draw: cat3 },
    { name: "segment", numeric: false, draw: cat8 },
    { name: "zip", numeric: false, draw: cat200 },
    { name: "flag", numeric: false, draw: () => random() < 0.3 },
  ];

  const generate = (numeric: boolean, draw: () => FeatureValue, n: number): Values => {
    if (numeric) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = draw() as number;
      return out as unknown as Values;
    }
    const out = new Array<FeatureValue>(n);
    for (let i = 0; i < n; i++) out[i] = draw();
    return out;
  };

  const data = new Map<string, { profile: FeatureProfile; window: Values }>();
  beforeAll(() => {
    for (const f of features) {
      const profile = buildProfile(f.name, generate(f.numeric, f.draw, REFERENCE_ROWS));
      data.set(f.name, { profile, window: generate(f.numeric, f.draw, WINDOW_ROWS) });
    }
  }, 60_000);

  const inputs = (shift?: { feature: string; by: number }) =>
    features.map(({ name }) => {
      const { profile, window } = data.get(name)!;
      const values = shift?.feature === name ? (window as unknown as Float64Array).map((x) => x + shift.by) : window;
      return { profile, window: summariseValues(profile, values) };
    });

  it("flags no feature with a million rows per window", () => {
    const drift = decideDrift(inputs());
    expect(drift.map((d) => [d.feature, d.kind])).toEqual([
      ["normal", "numeric"],
      ["lognormal", "numeric"],
      ["poisson", "numeric"],
      ["uniform", "numeric"],
      ["with_nulls", "numeric"],
      ["prediction.score", "numeric"],
      ["colour", "categorical"],
      ["segment", "categorical"],
      ["zip", "categorical"],
      ["flag", "categorical"],
    ]);
    for (const d of drift) {
      expect(d.n, d.feature).toBeGreaterThan(900_000);
      expect(d.method, d.feature).toBe(d.kind === "numeric" ? "wasserstein" : "jensen_shannon");
    }
    expect(drift.filter((d) => d.drifted).map((d) => d.feature)).toEqual([]);
    expect(drift.map((d) => d.decision)).toEqual(new Array(features.length).fill("no_drift"));
  }, 30_000);

  it("flags exactly the feature shifted by 0.2 standard deviations", () => {
    // normal has sd 10: a shift of 2 moves every value 0.2 sd, a normalised Wasserstein of 0.2
    const drift = decideDrift(inputs({ feature: "normal", by: 2 }));
    expect(drift.filter((d) => d.drifted).map((d) => d.feature)).toEqual(["normal"]);
    const normalDrift = drift.find((d) => d.feature === "normal")!;
    expect(normalDrift.score).toBeGreaterThan(0.18);
    expect(normalDrift.score).toBeLessThan(0.22);
  }, 30_000);

  describe("categorical drift with many categories against the automatic reference", () => {
    // Seeded: a Zipf-like and a flat distribution of K categories, a 2,000-row reference, windows of 5,000.
    const draw = (random: () => number, weights: number[], n: number): string[] => {
      const cdf: number[] = [];
      let total = 0;
      for (const w of weights) cdf.push((total += w));
      return Array.from({ length: n }, () => {
        const u = random() * total;
        let lo = 0;
        let hi = cdf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        return `cat-${lo}`;
      });
    };
    const seeded = (seed: number) => {
      let x = seed >>> 0;
      return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
    };

    it.each([
      [200, "flat"],
      [200, "zipf"],
      [1000, "flat"],
      [1000, "zipf"],
    ] as const)("%i categories (%s): none of 20 windows from the reference's distribution is flagged", (k, shape) => {
      const random = seeded(k * 7 + shape.length);
      const weights = Array.from({ length: k }, (_, i) => (shape === "flat" ? 1 : 1 / (i + 1)));
      const profile = buildProfile("c", draw(random, weights, 2000));
      const results = Array.from(
        { length: 20 },
        () => decideDrift([{ profile, window: summariseValues(profile, draw(random, weights, 5000)) }])[0]!,
      );
      // The raw distance is what flagged them all before (0.17 at 200 categories, 0.39 at 1,000).
      expect(Math.min(...results.map((r) => r.jensenShannon!))).toBeGreaterThan(shape === "flat" && k === 1000 ? 0.3 : 0.1);
      expect(results.every((r) => r.method === "jensen_shannon")).toBe(true);
      expect(results.filter((r) => r.drifted)).toEqual([]);
      // The expected distance explains the raw one: the corrected score stays well under the threshold.
      expect(Math.max(...results.map((r) => r.score!))).toBeLessThan(0.1);
    });

    it.each([200, 1000])("%i categories: a real shift is still flagged", (k) => {
      const random = seeded(k);
      const weights = Array.from({ length: k }, (_, i) => 1 / (i + 1));
      const profile = buildProfile("c", draw(random, weights, 2000));
      // The ten most frequent categories lose most of their share to the rest.
      const shifted = weights.map((w, i) => (i < 10 ? w / 4 : w * 1.6));
      const [d] = decideDrift([{ profile, window: summariseValues(profile, draw(random, shifted, 5000)) }]);
      expect(d).toMatchObject({ method: "jensen_shannon", decision: "drift", drifted: true, jensenShannonBeyondNoise: true });
      expect(d!.score!).toBeGreaterThanOrEqual(0.1);
      expect(d!.score!).toBeLessThan(d!.jensenShannon!);
    });
  });
});
