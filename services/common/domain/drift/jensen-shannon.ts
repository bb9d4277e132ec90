/** Jensen–Shannon distance between two histograms on the same bins. Pure. */
import { assertSameBins, positiveTotal } from "./counts.js";

/**
 * sqrt of the Jensen–Shannon divergence with base-2 logarithms, so the value lies in [0, 1]
 * (0: same distribution, 1: disjoint supports) and is a metric. Counts or weights are normalised
 * here. Same as `scipy.spatial.distance.jensenshannon(p, q, base=2)`.
 */
export function jensenShannonDistance(p: number[], q: number[]): number {
  assertSameBins("Jensen-Shannon", p, q);
  const pTotal = positiveTotal("Jensen-Shannon", "p", p);
  const qTotal = positiveTotal("Jensen-Shannon", "q", q);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / pTotal;
    const qi = q[i]! / qTotal;
    const m = (pi + qi) / 2;
    // 0·ln(0/m) = 0: a bin empty on one side contributes only through the other.
    if (pi > 0) divergence += pi * Math.log(pi / m);
    if (qi > 0) divergence += qi * Math.log(qi / m);
  }
  // Rounding can leave a tiny negative divergence for identical inputs; its sqrt would be NaN.
  return Math.sqrt(Math.max(0, divergence / (2 * Math.LN2)));
}
