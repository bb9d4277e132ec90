/** 1-D Wasserstein-1 (earth mover's) distance, from raw samples or from per-bin counts and sums. Pure. */
import { positiveTotal, sortedSample } from "./counts.js";

/** Exact W1 = ∫ |F_a − F_b| dx between two raw samples (= `scipy.stats.wasserstein_distance(a, b)`). */
export function wassersteinDistance(a: number[], b: number[]): number {
  const x = sortedSample("Wasserstein", "first", a);
  const y = sortedSample("Wasserstein", "second", b);
  return cdfArea(x, undefined, x.length, y, undefined, y.length);
}

/** One sample summarised on shared bins: per-bin counts and sums of values, and the sample's range. */
export interface BinnedSample {
  counts: number[];
  sums: number[];
  min: number;
  max: number;
}

/**
 * W1 from binned summaries (bins on ascending `edges`, bin i holding [e_{i−1}, e_i), so
 * edges.length + 1 bins): each bin's mass is put at its mean and the exact W1 between the two
 * resulting discrete distributions is returned.
 *
 * W1 is a metric, so |W1(A, B) − W1(A', B')| ≤ W1(A, A') + W1(B, B'). Moving a bin's values to a
 * point inside the bin costs at most the bin's width times its mass, hence
 *   |W1_exact − distance| ≤ Σ_i width_i · (p_ref,i + p_cur,i),
 * the outer bins being bounded by the smaller min (left) and larger max (right) of the samples.
 * (Half of this also holds, since a value's mean distance to its bin mean is at most half the
 * width; the plain bound is the one reported.)
 */
export function wassersteinFromBins(
  edges: number[],
  reference: BinnedSample,
  current: BinnedSample,
): { distance: number; errorBound: number } {
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i]! > edges[i - 1]!)) {
      throw new Error(`Wasserstein bins need strictly ascending edges, got ${edges[i - 1]} then ${edges[i]}`);
    }
  }
  const ref = binMeans(edges, reference, "reference");
  const cur = binMeans(edges, current, "current");
  const distance = cdfArea(ref.means, ref.weights, ref.total, cur.means, cur.weights, cur.total);

  const lo = Math.min(reference.min, current.min);
  const hi = Math.max(reference.max, current.max);
  let errorBound = 0;
  for (let i = 0; i <= edges.length; i++) {
    const left = i === 0 ? lo : edges[i - 1]!;
    const right = i === edges.length ? hi : edges[i]!;
    const mass = reference.counts[i]! / ref.total + current.counts[i]! / cur.total;
    // An outer bin with no values can have min above its right edge; it has no mass either.
    if (mass > 0) errorBound += Math.max(0, right - left) * mass;
  }
  return { distance, errorBound };
}

/**
 * Evidently's "Wasserstein distance (normed)": W1 over the reference's population standard
 * deviation (numpy's default ddof = 0). Evidently floors the deviation at 0.001; here a constant
 * reference gives 0 when nothing moved and Infinity otherwise, so no scale is invented.
 */
export function normalisedWasserstein(distance: number, referenceStd: number): number {
  if (referenceStd > 0) return distance / referenceStd;
  return distance === 0 ? 0 : Infinity;
}

function binMeans(edges: number[], sample: BinnedSample, side: string) {
  const bins = edges.length + 1;
  if (sample.counts.length !== bins || sample.sums.length !== bins) {
    throw new Error(
      `Wasserstein needs ${bins} bins for ${edges.length} edges: ` +
        `${side} has ${sample.counts.length} counts and ${sample.sums.length} sums`,
    );
  }
  const total = positiveTotal("Wasserstein", side, sample.counts);
  const means: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < bins; i++) {
    const count = sample.counts[i]!;
    if (count === 0) continue;
    means.push(sample.sums[i]! / count);
    weights.push(count);
  }
  // Bin means are ascending because the bins are; the CDF walk relies on sorted positions.
  return { means, weights, total };
}

/**
 * ∫ |F_x − F_y| between two discrete distributions given as sorted positions with weights
 * (unit weights when omitted). Cumulative weights are divided by the total at each step instead
 * of summing fractions, so the CDFs end at exactly 1.
 */
function cdfArea(
  x: ArrayLike<number>,
  xWeights: ArrayLike<number> | undefined,
  xTotal: number,
  y: ArrayLike<number>,
  yWeights: ArrayLike<number> | undefined,
  yTotal: number,
): number {
  let i = 0;
  let j = 0;
  let xCum = 0;
  let yCum = 0;
  let area = 0;
  let v = Math.min(x[0]!, y[0]!);
  for (;;) {
    for (; i < x.length && x[i] === v; i++) xCum += xWeights ? xWeights[i]! : 1;
    for (; j < y.length && y[j] === v; j++) yCum += yWeights ? yWeights[j]! : 1;
    const next = Math.min(i < x.length ? x[i]! : Infinity, j < y.length ? y[j]! : Infinity);
    if (next === Infinity) return area;
    area += Math.abs(xCum / xTotal - yCum / yTotal) * (next - v);
    v = next;
  }
}
