/**
 * A reference's profile of one feature: the bins every later window is compared on, and the
 * reference's own counts on them. Pure: the raw statistics come in from storage.
 *
 * Numeric bins are [edges[i-1], edges[i]) with open ends, so bin b holds the values with exactly
 * b edges at or below them. The edges are the reference's percentiles 1..99 (fine enough that the
 * Kolmogorov–Smirnov statistic and the Wasserstein distance read from bins stay within a bound
 * printed beside them), plus the points the quality checks count against: the reference's minimum
 * and just above its maximum, 0, and the declared bounds. The deciles (coarseEdges) are the
 * conventional bins of PSI and Jensen–Shannon.
 */
import { countAtOrBelow } from "../sorted.js";
import type { FeatureRule } from "../../../../schemas/models.js";

export type FeatureKind = "numeric" | "categorical";

/** Pseudo-features carrying the model's output, so prediction drift is scored like any feature. */
export const PREDICTION_FEATURES = ["prediction.score", "prediction.value", "prediction.label"] as const;

export const PERCENTILES = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
/** Categorical features keep their most frequent categories; the rest count as "other" (bin 0). */
export const MAX_CATEGORIES = 1000;
/** Slots per feature in the binary search that bins values in SQL (2^7 − 1): edges never exceed it. */
export const MAX_EDGES = 127;

/** What a reference profile and a window summary both count of one feature. */
export interface FeatureCounts {
  feature: string;
  /** rows of the reference sample, or predictions in the window */
  rows: number;
  /** rows carrying the feature */
  present: number;
  nulls: number;
  /** values of the other kind (a string for a numeric feature, a number for a categorical one) */
  mismatches: number;
  /** values in the bins */
  n: number;
  counts: number[];
}

export interface NumericProfile extends FeatureCounts {
  kind: "numeric";
  edges: number[];
  coarseEdges: number[];
  /** per bin, the sum of the reference's values (their mean places the bin's mass) */
  sums: number[];
  min: number;
  max: number;
  mean: number;
  std: number;
}

export interface CategoricalProfile extends FeatureCounts {
  kind: "categorical";
  /** bin i (1-based) is categories[i - 1]; bin 0 is every other value */
  categories: string[];
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

/** What storage reports of one feature in a reference sample, before binning. */
export interface RawFeatureStats {
  feature: string;
  rows: number;
  present: number;
  nulls: number;
  numbers: number;
  /** strings and booleans */
  strings: number;
  /** at PERCENTILES, of the numeric values */
  percentiles: number[];
  min: number;
  max: number;
}

/** Numeric when most non-null values are numbers, unless the rules say otherwise. */
export function featureKind(stats: RawFeatureStats, rule?: FeatureRule): FeatureKind {
  if (rule?.type) return rule.type;
  if (stats.feature === "prediction.label") return "categorical";
  return stats.numbers >= stats.strings && stats.numbers > 0 ? "numeric" : "categorical";
}

/** The smallest double above x, so that a bin edge there puts x itself below it. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

export function numericEdges(stats: RawFeatureStats, rule?: FeatureRule): { edges: number[]; coarseEdges: number[] } {
  const points = [...stats.percentiles, stats.min, nextUp(stats.max), 0];
  if (rule?.min !== undefined) points.push(rule.min);
  if (rule?.max !== undefined) points.push(nextUp(rule.max));
  const edges = distinctSorted(points.filter(Number.isFinite));
  const coarseEdges = distinctSorted(stats.percentiles.filter((_, i) => (i + 1) % 10 === 0).filter(Number.isFinite));
  if (edges.length > MAX_EDGES) throw new Error(`feature ${stats.feature}: ${edges.length} bin edges exceed ${MAX_EDGES}`);
  return { edges, coarseEdges };
}

function distinctSorted(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

/** The bin of a value: how many edges are at or below it. */
export const numericBin = (edges: readonly number[], x: number): number => countAtOrBelow(edges, x);

/** Counts of the coarse bins, from counts on the fine edges (coarse edges are a subset of them). */
export function coarseCounts(profile: NumericProfile, fine: readonly number[]): number[] {
  const out = new Array<number>(profile.coarseEdges.length + 1).fill(0);
  for (let b = 0; b < fine.length; b++) {
    // A fine bin lies wholly inside the coarse bin of its lower edge (bin 0: below every edge).
    const lower = b === 0 ? -Infinity : profile.edges[b - 1]!;
    out[numericBin(profile.coarseEdges, lower)]! += fine[b]!;
  }
  return out;
}
