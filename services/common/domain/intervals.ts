/** Confidence intervals for proportions. Pure. */

// Two-sided standard-normal quantiles. (simple-statistics' probit is an approximation off by
// 0.003 at 95 %, which moves interval ends in the fourth decimal.)
const Z: Record<number, number> = { 0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004 };

/** The two-sided standard-normal quantile for a confidence of 0.9, 0.95 or 0.99. */
export function normalQuantile(confidence: number): number {
  const z = Z[confidence];
  if (z === undefined) throw new Error(`confidence must be one of ${Object.keys(Z).join(", ")}`);
  return z;
}

/**
 * Wilson score interval for `successes` out of `n`: unlike the normal approximation it stays
 * inside [0, 1] and is honest for small n or proportions near 0 or 1.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): [number, number] {
  if (n <= 0) return [0, 1];
  const z = normalQuantile(confidence);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
