/** Two-sample Kolmogorov–Smirnov statistic, from raw samples or from shared bins, and its p-value. Pure. */
import { assertSameBins, positiveTotal, sortedSample } from "./counts.js";

/**
 * Exact sup |F_a − F_b| of the two empirical CDFs (= `scipy.stats.ks_2samp(a, b).statistic`).
 * The walk consumes every copy of a value from both samples before comparing, because the CDFs
 * only jump at values; comparing in the middle of a run of ties would overstate the gap.
 */
export function ksStatistic(a: number[], b: number[]): number {
  const x = sortedSample("KS", "first", a);
  const y = sortedSample("KS", "second", b);
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  // Once one sample is used up its CDF is 1 and the gap only shrinks, so the loop can stop there.
  while (i < n && j < m) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < n && x[i] === v) i++;
    while (j < m && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/**
 * KS statistic from counts per ordered bin (same edges on both sides; bin i holds [e_{i−1}, e_i)).
 *
 * `statistic` is the largest gap between the cumulative fractions G_ref, G_cur at the bin
 * boundaries. Each G_k is the empirical CDF just below e_k, a value the CDFs really take, so the
 * exact statistic D of the underlying samples is at least `statistic`. Inside bin i each CDF
 * rises from G_{i−1} to G_i, i.e. by its proportion p_i, so for x in the bin
 *   F_ref(x) − F_cur(x) ≤ G_ref,i − G_cur,i−1 = (G_ref,i−1 − G_cur,i−1) + p_ref,i ≤ statistic + p_ref,i
 * and symmetrically F_cur(x) − F_ref(x) ≤ statistic + p_cur,i. Hence
 *   statistic ≤ D ≤ statistic + errorBound,  errorBound = max_i max(p_ref,i, p_cur,i).
 */
export function ksStatisticFromBins(reference: number[], current: number[]): { statistic: number; errorBound: number } {
  assertSameBins("KS", reference, current);
  const refTotal = positiveTotal("KS", "reference", reference);
  const curTotal = positiveTotal("KS", "current", current);
  let refCum = 0;
  let curCum = 0;
  let statistic = 0;
  let errorBound = 0;
  for (let i = 0; i < reference.length; i++) {
    errorBound = Math.max(errorBound, reference[i]! / refTotal, current[i]! / curTotal);
    // Cumulate counts, not proportions, so the last boundary is exactly 1 − 1 = 0.
    refCum += reference[i]!;
    curCum += current[i]!;
    statistic = Math.max(statistic, Math.abs(refCum / refTotal - curCum / curTotal));
  }
  return { statistic, errorBound };
}

/**
 * Asymptotic two-sided p-value of a KS statistic D between samples of sizes n and m: the
 * Kolmogorov survival function at √(nm/(n+m))·D (= `scipy.stats.kstwobign.sf`,
 * `scipy.special.kolmogorov`). Exact small-sample p-values are not worth their cost at the
 * window sizes drift is computed on.
 */
export function ksPValue(statistic: number, n: number, m: number): number {
  if (!(n > 0 && m > 0)) throw new Error(`KS p-value needs positive sample sizes, got n=${n}, m=${m}`);
  return kolmogorovSurvival(Math.sqrt((n * m) / (n + m)) * statistic);
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
// Both series need only a handful of terms near here; below it the alternating series needs ever
// more terms (about 1/x), above it the other one would compute a tail as 1 − (something close to 1).
const CUTOVER = 1;

/** Q(x) = 1 − K(x), K the Kolmogorov distribution function. */
function kolmogorovSurvival(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x < CUTOVER) {
    // K(x) = √(2π)/x · Σ_{k≥1} exp(−(2k−1)²π²/(8x²))
    const t = -(Math.PI * Math.PI) / (8 * x * x);
    let sum = 0;
    for (let k = 1; ; k++) {
      const term = Math.exp((2 * k - 1) ** 2 * t);
      sum += term;
      if (term <= 1e-17 * sum || term === 0) break;
    }
    return 1 - (SQRT_2PI / x) * sum;
  }
  // Q(x) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²x²)
  let sum = 0;
  for (let k = 1; ; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += k % 2 === 1 ? term : -term;
    if (term <= 1e-17 * sum) break;
  }
  return 2 * sum;
}
