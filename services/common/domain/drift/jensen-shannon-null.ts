/**
 * What the Jensen–Shannon divergence of a reference of m values and a window of n values would be
 * if both came from the same distribution. Pure.
 *
 * Two samples of one distribution never have divergence 0: with K categories it is about
 * (K − 1)·(1/m + 1/n) / (8 ln 2) bits, and more where categories are rare (a reference of 2,000
 * rows and a window from the same 200-category distribution score a distance of about 0.17,
 * 1,000 categories about 0.39), so a fixed threshold on the raw distance flags every window of a
 * feature with many categories. The null here is the permutation null, conditioned on the pooled
 * counts: each category's pooled count c splits between the two sides as Binomial(c, m/(m + n)).
 * Categories with few counts on either side are summed exactly over the split; the others take
 * the second-order term (1 − c/N)·(1/m + 1/n) / (8 ln 2), a scaled χ²₁ (variance twice its mean²).
 * Categories are treated as independent (their covariance is of order 1/K).
 *
 * A categorical reference defines its own categories, so its "other" bin (bin 0) is empty by
 * construction while a window of the same distribution still holds the categories the reference
 * happened to miss. For that bin (`otherBin`, when the reference has none of it) the expected
 * window share is the reference's missing mass, estimated by Good–Turing as (categories seen once)/m,
 * and the bin adds half the window's share (it is on one side only).
 */

/** Above this expected count on the smaller side, a category is in the χ² regime. */
const EXACT_BELOW = 25;

export interface JensenShannonNull {
  /** expected divergence (bits; the distance is its square root) */
  mean: number;
  /** standard deviation of the divergence under the null */
  sd: number;
}

/** The divergence (bits) one category adds when the reference has share x and the window share y. */
function cell(x: number, y: number): number {
  const mid = (x + y) / 2;
  let d = 0;
  if (x > 0) d += x * Math.log(x / mid);
  if (y > 0) d += y * Math.log(y / mid);
  return d / (2 * Math.LN2);
}

export function jensenShannonNull(
  reference: readonly number[],
  window: readonly number[],
  options: { otherBin?: number } = {},
): JensenShannonNull {
  const m = reference.reduce((a, b) => a + b, 0);
  const n = window.reduce((a, b) => a + b, 0);
  if (m <= 0 || n <= 0) return { mean: 0, sd: 0 };
  const other = options.otherBin !== undefined && reference[options.otherBin] === 0 ? options.otherBin : -1;
  const total = m + n;
  const pi = m / total;
  const logPi = Math.log(pi);
  const log1mPi = Math.log1p(-pi);
  const large = (1 / m + 1 / n) / (8 * Math.LN2);
  let mean = 0;
  let variance = 0;
  for (let k = 0; k < reference.length; k++) {
    if (k === other) {
      const missing = Math.min(1, reference.filter((r) => r === 1).length / m);
      mean += missing / 2;
      variance += (missing * (1 - missing)) / (4 * n);
      continue;
    }
    const c = reference[k]! + window[k]!;
    if (c <= 0) continue;
    if (Math.min(c * pi, c * (1 - pi)) >= EXACT_BELOW) {
      const mu = large * (1 - c / total);
      mean += mu;
      variance += 2 * mu * mu;
      continue;
    }
    // Exact over the likely splits a (reference side) of c: mean ± 12 sd covers all but ~1e-30.
    const mu = c * pi;
    const sd = Math.sqrt(c * pi * (1 - pi));
    const lo = Math.max(0, Math.floor(mu - 12 * sd - 10));
    const hi = Math.min(c, Math.ceil(mu + 12 * sd + 10));
    let logP = logChoose(c, lo) + lo * logPi + (c - lo) * log1mPi;
    let e1 = 0;
    let e2 = 0;
    for (let a = lo; a <= hi; a++) {
      const p = Math.exp(logP);
      const g = cell(a / m, (c - a) / n);
      e1 += p * g;
      e2 += p * g * g;
      // P(a + 1) / P(a) = (c − a)/(a + 1) · π/(1 − π)
      logP += Math.log((c - a) / (a + 1)) + logPi - log1mPi;
    }
    mean += e1;
    variance += Math.max(0, e2 - e1 * e1);
  }
  return { mean, sd: Math.sqrt(variance) };
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

// ln k! by summing below 256 (exact to rounding), Stirling's series above.
const SMALL_LOG_FACTORIALS: number[] = [0];
for (let i = 1; i < 256; i++) SMALL_LOG_FACTORIALS.push(SMALL_LOG_FACTORIALS[i - 1]! + Math.log(i));

function logFactorial(k: number): number {
  if (k < 256) return SMALL_LOG_FACTORIALS[k]!;
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}
