/** Benjamini–Hochberg false-discovery-rate adjustment across many drift tests. Pure. */

/**
 * BH-adjusted p-values (q-values) in the input order, equal to statsmodels'
 * `multipletests(p, method="fdr_bh")[1]`: q_(i) = min over j ≥ i of p_(j)·m/j, capped at 1.
 * NaN p-values (tests that could not run) stay NaN and do not count in m, so a missing test
 * does not make the others look less significant.
 */
export function benjaminiHochberg(pValues: number[]): number[] {
  const order: number[] = [];
  pValues.forEach((p, i) => {
    if (Number.isNaN(p)) return;
    if (!(p >= 0 && p <= 1)) throw new Error(`Benjamini-Hochberg needs p-values in [0, 1], got ${p} at ${i}`);
    order.push(i);
  });
  order.sort((a, b) => pValues[a]! - pValues[b]!);
  const m = order.length;
  const adjusted = pValues.map(() => NaN);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1]!;
    running = Math.min(running, (pValues[i]! * m) / rank);
    adjusted[i] = running;
  }
  return adjusted;
}
