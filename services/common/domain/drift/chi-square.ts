/** Chi-square upper tail and Pearson's test of homogeneity between two count vectors. Pure. */
import { assertSameBins } from "./counts.js";

/**
 * P(χ²_dof > x) = Q(dof/2, x/2), the regularized upper incomplete gamma function, computed as in
 * Numerical Recipes: the series for P when x < a + 1 (where Q is not small, so 1 − P loses
 * nothing), the continued fraction for Q itself otherwise (so small tails keep their relative
 * precision).
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) throw new Error(`chi-square needs positive degrees of freedom, got ${dof}`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  const a = dof / 2;
  const z = x / 2;
  return z < a + 1 ? 1 - lowerSeries(a, z) : upperContinuedFraction(a, z);
}

/**
 * Pearson chi-square test of homogeneity on the 2×k table [reference; current], without Yates'
 * correction (= `scipy.stats.chi2_contingency([reference, current], correction=False)`).
 * Categories empty on both sides carry no information and would give zero expected counts, so
 * they are dropped; dof = categories kept − 1.
 */
export function chiSquareHomogeneity(reference: number[], current: number[]): { statistic: number; dof: number; pValue: number } {
  assertSameBins("chi-square", reference, current);
  const kept: number[] = [];
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const c = current[i]!;
    if (!(r >= 0 && c >= 0 && r < Infinity && c < Infinity)) {
      throw new Error(`chi-square needs finite non-negative counts: category ${i} has ${r} and ${c}`);
    }
    if (r + c > 0) kept.push(i);
    refTotal += r;
    curTotal += c;
  }
  if (kept.length < 2) return { statistic: 0, dof: 0, pValue: 1 };
  if (refTotal === 0 || curTotal === 0) {
    throw new Error(`chi-square needs counts on both sides: reference total ${refTotal}, current total ${curTotal}`);
  }
  const n = refTotal + curTotal;
  let statistic = 0;
  for (const i of kept) {
    const column = reference[i]! + current[i]!;
    const expectedRef = (refTotal * column) / n;
    const expectedCur = (curTotal * column) / n;
    statistic += (reference[i]! - expectedRef) ** 2 / expectedRef + (current[i]! - expectedCur) ** 2 / expectedCur;
  }
  const dof = kept.length - 1;
  return { statistic, dof, pValue: chiSquareSurvival(statistic, dof) };
}

// Far beyond what any a below ~10^8 needs (both expansions converge in O(√a) steps); reaching it
// means a bug, not a hard input.
const MAX_ITERATIONS = 1_000_000;
const EPS = 1e-16;
const TINY = 1e-300;

/** ln of the common factor x^a e^(−x) / Γ(a). */
function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** Regularized lower incomplete gamma P(a, x) by its power series. */
function lowerSeries(a: number, x: number): number {
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) return sum * Math.exp(logPrefactor(a, x));
  }
  throw new Error(`incomplete gamma series did not converge for a=${a}, x=${x}`);
}

/** Regularized upper incomplete gamma Q(a, x) by its continued fraction (modified Lentz). */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS * 4) return Math.exp(logPrefactor(a, x)) * h;
  }
  throw new Error(`incomplete gamma continued fraction did not converge for a=${a}, x=${x}`);
}

// Lanczos approximation with g = 7, n = 9: about 15 significant digits, where Numerical Recipes'
// six-term gammln (≈2e-10) would use up the whole error budget on its own.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function logGamma(z: number): number {
  // The approximation is tuned for z ≥ 1/2; Γ(z) = Γ(z + 1)/z reaches the rest of z > 0.
  if (z < 0.5) return logGamma(z + 1) - Math.log(z);
  const w = z - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (w + i);
  const t = w + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (w + 0.5) * Math.log(t) - t + Math.log(series);
}
