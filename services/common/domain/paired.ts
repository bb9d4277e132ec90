/**
 * Paired comparison of two variants scored on the same requests (shadow or canary: the incumbent A
 * and the candidate B see the same traffic). Pure; every input is a count or a moment sum, so a
 * window's state stays bounded and windows merge by addition (moments by Chan's formula).
 *
 * Classification, from the 2×2 table of labelled pairs (both right, only A right, only B right,
 * both wrong):
 * - McNemar's test on the discordant pairs: the exact two-sided binomial test (p = min(1,
 *   2·P(X ≤ min(b, c))), X ~ Bin(b + c, ½)) below 25 discordant pairs, where the chi-square
 *   approximation is poor; otherwise chi-square with continuity correction, (|b − c| − 1)²/(b + c)
 *   on one degree of freedom. (= statsmodels' `mcnemar(exact=True)` / `mcnemar(exact=False,
 *   correction=True)`.)
 * - The difference in accuracy, candidate minus incumbent, with Newcombe's hybrid score interval
 *   for paired proportions (Newcombe 1998, Stat Med 17:2635, method 10): Wilson limits for each
 *   accuracy combined by square-and-add with the continuity-corrected correlation φ. It stays
 *   inside [−1, 1] and keeps its coverage for small or extreme tables, where the Wald interval
 *   (also given, for reference) does neither.
 * - The agreement rate: pairs whose predicted classes are equal, over every pair, labelled or not
 *   (agreement needs no label), with a Wilson interval.
 *
 * Regression, from the moments of d = |error of B| − |error of A| over labelled pairs: the mean
 * paired difference in absolute error with a Student t-interval on n − 1 degrees of freedom, and
 * the paired t-test's p-value (= scipy's `ttest_rel`).
 *
 * The reading ("promote / hold / roll back") is in `decide`.
 */
import { chiSquareSurvival } from "./drift/chi-square.js";
import { normalQuantile, wilsonInterval } from "./intervals.js";
import { studentTCdf, studentTQuantile } from "./student-t.js";

/** Labelled pairs by correctness (A = incumbent, B = candidate), and agreement over all pairs. */
export interface PairedCounts {
  bothRight: number;
  onlyA: number;
  onlyB: number;
  bothWrong: number;
  /** Pairs, labelled or not, whose two predicted classes are equal (omit if unknown). */
  agreeing?: number;
  /** Every pair, labelled or not (defaults to the labelled pairs). */
  pairs?: number;
}

export interface Interval {
  value: number;
  low: number;
  high: number;
}

export interface McNemar {
  /** b + c: the pairs where exactly one variant is right. */
  discordant: number;
  method: "exact" | "chi-square-cc";
  /** The chi-square statistic (continuity corrected); for the exact test, min(b, c). */
  statistic: number;
  pValue: number;
}

/** Below this many discordant pairs McNemar's test is the exact binomial one. */
export const EXACT_BELOW = 25;

export function mcnemar(onlyA: number, onlyB: number, exactBelow = EXACT_BELOW): McNemar {
  const discordant = onlyA + onlyB;
  if (discordant === 0) return { discordant, method: "exact", statistic: 0, pValue: 1 };
  if (discordant < exactBelow) {
    const k = Math.min(onlyA, onlyB);
    return { discordant, method: "exact", statistic: k, pValue: Math.min(1, 2 * binomialHalfCdf(k, discordant)) };
  }
  const statistic = (Math.abs(onlyA - onlyB) - 1) ** 2 / discordant;
  return { discordant, method: "chi-square-cc", statistic, pValue: chiSquareSurvival(statistic, 1) };
}

/** P(X ≤ k) for X ~ Bin(n, ½), summed in log space so that large n neither overflows nor underflows. */
function binomialHalfCdf(k: number, n: number): number {
  let logTerm = -n * Math.LN2; // C(n, 0) / 2ⁿ
  let sum = Math.exp(logTerm);
  for (let i = 0; i < k; i++) {
    logTerm += Math.log(n - i) - Math.log(i + 1);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

const labelled = (c: PairedCounts) => c.bothRight + c.onlyA + c.onlyB + c.bothWrong;

/**
 * Newcombe's method 10 for accuracy(B) − accuracy(A). In his notation the table is (a, b, c, d)
 * with the first proportion (a + b)/n: here a = both right, b = only B right, c = only A right.
 */
export function newcombePairedInterval(c: PairedCounts, confidence = 0.95): Interval {
  const n = labelled(c);
  if (n === 0) return { value: 0, low: -1, high: 1 };
  const [a, b, cc, d] = [c.bothRight, c.onlyB, c.onlyA, c.bothWrong];
  const p1 = (a + b) / n;
  const p2 = (a + cc) / n;
  const [l1, u1] = wilsonInterval(a + b, n, confidence);
  const [l2, u2] = wilsonInterval(a + cc, n, confidence);
  const margins = (a + b) * (cc + d) * (a + cc) * (b + d);
  // φ with Newcombe's continuity correction: a positive ad − bc is reduced by n/2 (not below 0).
  const cross = a * d - b * cc;
  const corrected = cross > n / 2 ? cross - n / 2 : Math.min(cross, 0);
  const phi = margins === 0 ? 0 : corrected / Math.sqrt(margins);
  const value = p1 - p2;
  const below = Math.sqrt(Math.max(0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2));
  const above = Math.sqrt(Math.max(0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2));
  return { value, low: Math.max(-1, value - below), high: Math.min(1, value + above) };
}

/** The Wald interval for accuracy(B) − accuracy(A): (c − b)/n ± z·√(b + c − (c − b)²/n)/n. For reference only. */
export function waldPairedInterval(c: PairedCounts, confidence = 0.95): Interval {
  const n = labelled(c);
  if (n === 0) return { value: 0, low: -1, high: 1 };
  const value = (c.onlyB - c.onlyA) / n;
  const half = (normalQuantile(confidence) * Math.sqrt(Math.max(0, c.onlyA + c.onlyB - (c.onlyB - c.onlyA) ** 2 / n))) / n;
  return { value, low: value - half, high: value + half };
}

/** Moments of d = |error of B| − |error of A| over labelled pairs, and each side's absolute-error sum. */
export interface PairedErrorMoments {
  n: number;
  /** Mean of d. */
  mean: number;
  /** Σ (d − mean)², kept by Welford's update so that windows merge exactly. */
  m2: number;
  absErrorA: number;
  absErrorB: number;
}

export const EMPTY_ERRORS: PairedErrorMoments = { n: 0, mean: 0, m2: 0, absErrorA: 0, absErrorB: 0 };

export function addErrorPair(s: PairedErrorMoments, errorA: number, errorB: number): PairedErrorMoments {
  const d = Math.abs(errorB) - Math.abs(errorA);
  const n = s.n + 1;
  const delta = d - s.mean;
  const mean = s.mean + delta / n;
  return { n, mean, m2: s.m2 + delta * (d - mean), absErrorA: s.absErrorA + Math.abs(errorA), absErrorB: s.absErrorB + Math.abs(errorB) };
}

/** Chan et al.'s merge of two windows' moments. */
export function mergeErrorMoments(x: PairedErrorMoments, y: PairedErrorMoments): PairedErrorMoments {
  const n = x.n + y.n;
  if (n === 0) return EMPTY_ERRORS;
  const delta = y.mean - x.mean;
  return {
    n,
    mean: x.mean + (delta * y.n) / n,
    m2: x.m2 + y.m2 + (delta * delta * x.n * y.n) / n,
    absErrorA: x.absErrorA + y.absErrorA,
    absErrorB: x.absErrorB + y.absErrorB,
  };
}

export interface PairedRegression {
  pairs: number;
  maeA: number | null;
  maeB: number | null;
  /** Mean of |error B| − |error A| (negative: the candidate errs less), with its t-interval; null below 2 pairs. */
  difference: (Interval & { pValue: number }) | null;
}

export function comparePairedRegression(s: PairedErrorMoments, confidence = 0.95): PairedRegression {
  const base = { pairs: s.n, maeA: s.n ? s.absErrorA / s.n : null, maeB: s.n ? s.absErrorB / s.n : null };
  if (s.n < 2) return { ...base, difference: null };
  const se = Math.sqrt(s.m2 / (s.n - 1) / s.n);
  const dof = s.n - 1;
  const half = studentTQuantile(1 - (1 - confidence) / 2, dof) * se;
  // Zero spread: the difference is known exactly; the test is undefined (scipy gives NaN), read as 0 or 1.
  const pValue = se === 0 ? (s.mean === 0 ? 1 : 0) : 2 * studentTCdf(-Math.abs(s.mean / se), dof);
  return { ...base, difference: { value: s.mean, low: s.mean - half, high: s.mean + half, pValue } };
}

export type Reading = "promote" | "hold" | "roll back";

export interface DecisionOptions {
  /** Fewer labelled pairs than this always hold. */
  minPairs: number;
  /**
   * The loss the team accepts from the candidate, in the metric's units (accuracy points, or units
   * of absolute error), ≥ 0. With 0 (the default) the candidate is promoted only when it is better
   * and rolled back only when it is worse, each at the interval's confidence.
   */
  margin: number;
}

export const DEFAULT_DECISION: DecisionOptions = { minPairs: 100, margin: 0 };

export interface Decision {
  reading: Reading;
  reason: string;
}

/**
 * The reading from the interval of the candidate's gain (accuracy B − A, or MAE A − MAE B: positive
 * means the candidate is better), by where it sits relative to −margin:
 * - promote: the whole interval lies above −margin (the candidate is at worst `margin` behind);
 * - roll back: the whole interval lies below −margin (the candidate is behind by more than that);
 * - hold: the interval straddles −margin (not enough evidence yet), or fewer than minPairs labelled pairs.
 * The two outer cases cannot both hold, and more pairs only narrow the interval, so a hold resolves.
 */
export function decide(gain: Interval, pairs: number, o: DecisionOptions = DEFAULT_DECISION): Decision {
  const f = (x: number) => x.toFixed(4);
  const at = `gain ${f(gain.value)} [${f(gain.low)}, ${f(gain.high)}] over ${pairs} labelled pairs, margin ${o.margin}`;
  if (pairs < o.minPairs) return { reading: "hold", reason: `fewer than ${o.minPairs} labelled pairs (${pairs})` };
  if (gain.low > -o.margin) return { reading: "promote", reason: `${at}: the interval lies above −margin` };
  if (gain.high < -o.margin) return { reading: "roll back", reason: `${at}: the interval lies below −margin` };
  return { reading: "hold", reason: `${at}: the interval straddles −margin` };
}

export interface PairedClassification {
  pairs: number;
  labelled: number;
  accuracyA: number | null;
  accuracyB: number | null;
  /** accuracy(B) − accuracy(A), Newcombe's interval. */
  difference: Interval;
  mcnemar: McNemar;
  agreement: Interval | null;
  decision: Decision;
}

export function comparePairedClassification(
  c: PairedCounts,
  confidence = 0.95,
  options: DecisionOptions = DEFAULT_DECISION,
): PairedClassification {
  const n = labelled(c);
  const pairs = c.pairs ?? n;
  const difference = newcombePairedInterval(c, confidence);
  let agreement: Interval | null = null;
  if (c.agreeing !== undefined && pairs > 0) {
    const [low, high] = wilsonInterval(c.agreeing, pairs, confidence);
    agreement = { value: c.agreeing / pairs, low, high };
  }
  return {
    pairs,
    labelled: n,
    accuracyA: n ? (c.bothRight + c.onlyA) / n : null,
    accuracyB: n ? (c.bothRight + c.onlyB) / n : null,
    difference,
    mcnemar: mcnemar(c.onlyA, c.onlyB),
    agreement,
    decision: decide(difference, n, options),
  };
}

/** The regression reading: the gain is MAE(A) − MAE(B), the negated difference. */
export function decidePairedRegression(r: PairedRegression, options: DecisionOptions = DEFAULT_DECISION): Decision {
  if (!r.difference) return { reading: "hold", reason: `fewer than 2 labelled pairs (${r.pairs})` };
  const d = r.difference;
  return decide({ value: -d.value, low: -d.high, high: -d.low }, r.pairs, options);
}
