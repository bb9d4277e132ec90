/**
 * Seeded synthetic data for the drift benchmark: 14 numeric and 6 categorical features, and a
 * current sample that differs from the reference in exactly three of them (num_00 shifted by half a
 * standard deviation, num_01's spread ×1.5, two categories of cat_02 gone). One small PRNG and
 * fixed seeds, so every run and both tools see the same values.
 */

import { seededRandom } from "../test/helpers/seeded-random.js";

type Rng = () => number;

const gaussian = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const normal = (mean: number, sd: number) => (r: Rng) => mean + sd * gaussian(r);
const lognormal = (mu: number, sigma: number) => (r: Rng) => Math.exp(mu + sigma * gaussian(r));
/** Knuth's method: fine for the small means used here, and gives integers with few distinct values. */
const poisson = (mean: number) => (r: Rng) => {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r(); p > limit; p *= r()) k++;
  return k;
};

interface NumericFeature {
  draw: (r: Rng) => number;
  missing: number;
}

interface CategoricalFeature {
  categories: string[];
  weights: number[];
  missing: number;
}

const named = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);
const zipf = (n: number, exponent: number) => Array.from({ length: n }, (_, i) => 1 / (i + 1) ** exponent);
const categorical = (categories: string[], weights: number[], missing = 0): CategoricalFeature => ({ categories, weights, missing });

const REFERENCE_NUMERIC: NumericFeature[] = [
  { draw: normal(50, 10), missing: 0 },
  { draw: normal(0, 1), missing: 0 },
  { draw: lognormal(0, 0.75), missing: 0 },
  { draw: poisson(3), missing: 0 },
  { draw: normal(100, 15), missing: 0.05 },
  { draw: lognormal(2, 0.5), missing: 0.05 },
  { draw: poisson(1), missing: 0 },
  { draw: normal(-5, 2), missing: 0 },
  { draw: lognormal(1, 1), missing: 0.05 },
  { draw: poisson(8), missing: 0.05 },
  { draw: normal(0, 100), missing: 0 },
  { draw: lognormal(-1, 0.3), missing: 0 },
  { draw: poisson(0.5), missing: 0 },
  { draw: normal(10, 3), missing: 0.05 },
];

const REFERENCE_CATEGORICAL: CategoricalFeature[] = [
  categorical(["web", "ios", "android"], [5, 3, 2]),
  categorical(named("country_", 5), [40, 25, 15, 12, 8], 0.02),
  categorical(named("plan_", 8), [1, 1, 1, 1, 1, 1, 1, 1]),
  categorical(named("segment_", 10), zipf(10, 1), 0.02),
  categorical(named("channel_", 4), [1, 2, 3, 4]),
  // A long tail: its rarest category holds about 140 rows of a 100,000-row reference.
  categorical(named("merchant_", 200), zipf(200, 0.8), 0.02),
];

export const NUMERIC = REFERENCE_NUMERIC.map((_, i) => `num_${String(i).padStart(2, "0")}`);
export const CATEGORICAL = REFERENCE_CATEGORICAL.map((_, i) => `cat_${String(i).padStart(2, "0")}`);
const KEYS = [...NUMERIC, ...CATEGORICAL];
/** The features the current data changes; every other feature keeps its reference distribution. */
export const DRIFTED = ["num_00", "num_01", "cat_02"];

function features(side: "reference" | "current"): { numeric: NumericFeature[]; categorical: CategoricalFeature[] } {
  if (side === "reference") return { numeric: REFERENCE_NUMERIC, categorical: REFERENCE_CATEGORICAL };
  const numeric = [...REFERENCE_NUMERIC];
  numeric[0] = { draw: normal(55, 10), missing: 0 };
  numeric[1] = { draw: normal(0, 1.5), missing: 0 };
  const cats = [...REFERENCE_CATEGORICAL];
  cats[2] = { ...cats[2]!, weights: cats[2]!.weights.map((w, i) => (i < 2 ? 0 : w)) };
  return { numeric, categorical: cats };
}

export interface Row {
  numbers: Array<number | null>;
  strings: Array<string | null>;
}

/** An endless stream of rows of one side; the same seed gives the same rows. */
export function sampler(side: "reference" | "current", seed: number): () => Row {
  const r = seededRandom(seed);
  const { numeric, categorical: cats } = features(side);
  const cumulative = cats.map((c) => {
    let sum = 0;
    return c.weights.map((w) => (sum += w));
  });
  const pick = (cum: number[]) => {
    const x = r() * cum.at(-1)!;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return () => ({
    // Four decimals: the CSV and the JSON then carry exactly the same doubles.
    numbers: numeric.map((f) => (r() < f.missing ? null : Math.round(f.draw(r) * 1e4) / 1e4)),
    strings: cats.map((c, i) => (r() < c.missing ? null : c.categories[pick(cumulative[i]!)]!)),
  });
}

export const CSV_HEADER = `${KEYS.join(",")}\n`;

/** Category names are plain words, so no field needs quoting; an empty field is a missing value. */
export function csvLine(row: Row): string {
  return `${[...row.numbers, ...row.strings].map((v) => v ?? "").join(",")}\n`;
}

/** The feature columns of a stored row, laid out as predictionRow lays out an event's features. */
export function featureColumns(row: Row) {
  const n = row.numbers.length;
  return {
    feature_keys: KEYS,
    feature_types: [
      ...row.numbers.map((v) => (v === null ? "null" : "number")),
      ...row.strings.map((v) => (v === null ? "null" : "string")),
    ],
    feature_numbers: [...row.numbers, ...row.strings.map(() => null)],
    feature_strings: [...new Array<null>(n).fill(null), ...row.strings],
    pred_label: null,
    pred_score: null,
    pred_value: null,
  };
}
