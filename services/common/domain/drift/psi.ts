/** Population Stability Index between two histograms on the same bins. Pure. */
import { assertSameBins, positiveTotal } from "./counts.js";

/**
 * PSI = Σ (q − p)·ln(q/p) over bins, p the reference proportions and q the current ones.
 *
 * An empty bin would make ln(q/p) infinite, so every proportion below `epsilon` is raised to
 * `epsilon`: the convention Evidently uses (it puts 1e-4 in empty bins). Flooring rather than
 * replacing only exact zeros gives the same value whenever each non-empty bin holds at least
 * 1e-4 of its sample, and keeps a bin with one value in a million from scoring above an empty one.
 */
export function populationStabilityIndex(reference: number[], current: number[], epsilon = 1e-4): number {
  assertSameBins("PSI", reference, current);
  const refTotal = positiveTotal("PSI", "reference", reference);
  const curTotal = positiveTotal("PSI", "current", current);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max(reference[i]! / refTotal, epsilon);
    const q = Math.max(current[i]! / curTotal, epsilon);
    psi += (q - p) * Math.log(q / p);
  }
  return psi;
}
