/**
 * Which slices fall below the rest of the traffic, with the false-discovery rate controlled across
 * every slice tested. Pure.
 *
 * Each slice is compared with the rest of the population (the population minus the slice, so the
 * two samples are independent), one-sided, in the "worse" direction:
 * - accuracy: two-proportion z-test with the pooled proportion;
 * - mae: Welch's z on the mean absolute error, its variance from the same sums the windows keep
 *   (Σ|e| and Σe², since |e|² = e²).
 * The p-values of all slices tested are adjusted together (Benjamini–Hochberg), and a slice is
 * `significantly_worse` only when its q-value is at most `alpha`: among hundreds of slices drawn from
 * one distribution, chance alone then names about `alpha` of a false "worst" slice on average,
 * where a test per slice at 5 % names one slice in twenty. Slices need `minLabeled` labels to be
 * tested (the z-tests lean on the normal approximation).
 */
import { chiSquareSurvival } from "./drift/chi-square.js";
import { benjaminiHochberg } from "./drift/fdr.js";
import { normalQuantile, wilsonInterval } from "./intervals.js";

export interface SliceSums {
  slice_key: string;
  slice_value: string;
  predictions: number;
  /** accuracy: labelled predictions with a class, and the correct ones */
  class_n: number;
  correct: number;
  /** mae: labelled regression predictions, Σ|e| and Σe² */
  reg_n: number;
  abs_err_sum: number;
  sq_err_sum: number;
}

export type RankedMetric = "accuracy" | "mae";

export interface RankOptions {
  metric: RankedMetric;
  order: "worst" | "best";
  minLabeled: number;
  limit: number;
  /** The false-discovery rate allowed among the slices called significantly worse. */
  alpha: number;
}

export interface RankedSlice {
  slice_key: string;
  slice_value: string;
  predictions: number;
  labeled: number;
  value: number;
  ci95: [number, number];
  /** The slice's value minus the whole population's. */
  gap: number;
  p_value: number;
  q_value: number;
  significantly_worse: boolean;
}

export interface SliceRanking {
  metric: RankedMetric;
  population: { predictions: number; labeled: number; value: number; ci95: [number, number] } | null;
  /** Slices with at least minLabeled labels, tested and adjusted together. */
  tested: number;
  slices: RankedSlice[];
}

const Z95 = normalQuantile(0.95);

/** P(Z ≤ z) for a standard normal Z, through the chi-square tail: P(|Z| > |z|) = P(χ²₁ > z²). */
export function normalCdf(z: number): number {
  const tail = chiSquareSurvival(z * z, 1) / 2;
  return z < 0 ? tail : 1 - tail;
}

interface Sample {
  n: number;
  value: number;
  /** variance of the estimate (not of one observation) */
  variance: number;
}

function sample(
  metric: RankedMetric,
  s: { class_n: number; correct: number; reg_n: number; abs_err_sum: number; sq_err_sum: number },
): Sample {
  if (metric === "accuracy") {
    const p = s.class_n > 0 ? s.correct / s.class_n : 0;
    return { n: s.class_n, value: p, variance: s.class_n > 0 ? (p * (1 - p)) / s.class_n : 0 };
  }
  const mean = s.reg_n > 0 ? s.abs_err_sum / s.reg_n : 0;
  // Population variance of |e| from its sums; n/(n − 1) makes it the sample variance.
  const variance = s.reg_n > 1 ? (Math.max(0, s.sq_err_sum / s.reg_n - mean * mean) * s.reg_n) / (s.reg_n - 1) : 0;
  return { n: s.reg_n, value: mean, variance: s.reg_n > 0 ? variance / s.reg_n : 0 };
}

/** One-sided p-value that the slice is worse than the rest (lower accuracy, higher error). */
function pWorse(metric: RankedMetric, slice: SliceSums, rest: SliceSums): number {
  const a = sample(metric, slice);
  const b = sample(metric, rest);
  if (a.n === 0 || b.n === 0) return 1;
  if (metric === "accuracy") {
    const pooled = (slice.correct + rest.correct) / (slice.class_n + rest.class_n);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
    if (se === 0) return 1;
    return normalCdf((a.value - b.value) / se);
  }
  const se = Math.sqrt(a.variance + b.variance);
  if (se === 0) return a.value > b.value ? 0 : 1;
  return 1 - normalCdf((a.value - b.value) / se);
}

function interval(metric: RankedMetric, s: SliceSums): [number, number] {
  if (metric === "accuracy") return wilsonInterval(s.correct, s.class_n, 0.95);
  const { value, variance } = sample(metric, s);
  const half = Z95 * Math.sqrt(variance);
  return [Math.max(0, value - half), value + half];
}

const minus = (p: SliceSums, s: SliceSums): SliceSums => ({
  ...p,
  predictions: p.predictions - s.predictions,
  class_n: p.class_n - s.class_n,
  correct: p.correct - s.correct,
  reg_n: p.reg_n - s.reg_n,
  abs_err_sum: p.abs_err_sum - s.abs_err_sum,
  sq_err_sum: p.sq_err_sum - s.sq_err_sum,
});

/** Ranks the slices of `rows` (the population is the row with slice_key ''). */
export function rankSlices(rows: readonly SliceSums[], o: RankOptions): SliceRanking {
  const population = rows.find((r) => r.slice_key === "");
  const labeledOf = (r: SliceSums) => (o.metric === "accuracy" ? r.class_n : r.reg_n);
  if (!population || labeledOf(population) === 0) return { metric: o.metric, population: null, tested: 0, slices: [] };
  const popValue = sample(o.metric, population).value;
  const tested = rows.filter((r) => r.slice_key !== "" && labeledOf(r) >= o.minLabeled);
  const pValues = tested.map((s) => pWorse(o.metric, s, minus(population, s)));
  const qValues = benjaminiHochberg(pValues);
  const higherIsBetter = o.metric === "accuracy";
  const ranked = tested.map((s, i): RankedSlice => {
    const value = sample(o.metric, s).value;
    return {
      slice_key: s.slice_key,
      slice_value: s.slice_value,
      predictions: s.predictions,
      labeled: labeledOf(s),
      value,
      ci95: interval(o.metric, s),
      gap: value - popValue,
      p_value: pValues[i]!,
      q_value: qValues[i]!,
      significantly_worse: qValues[i]! <= o.alpha,
    };
  });
  // Worst first by the interval's better end, so a small slice with a wide interval is not called
  // worst (or best) on the strength of a few examples.
  const good = (s: RankedSlice) => (higherIsBetter ? s.ci95[1] : -s.ci95[0]);
  const bad = (s: RankedSlice) => (higherIsBetter ? s.ci95[0] : -s.ci95[1]);
  ranked.sort((a, b) => (o.order === "worst" ? good(a) - good(b) : bad(b) - bad(a)));
  return {
    metric: o.metric,
    population: {
      predictions: population.predictions,
      labeled: labeledOf(population),
      value: popValue,
      ci95: interval(o.metric, population),
    },
    tested: tested.length,
    slices: ranked.slice(0, o.limit),
  };
}
