/**
 * The suppressor's threshold with a margin for chance. A threshold chosen to keep exactly 99 % of
 * the acted-on alerts on validation folds rests on a dozen or so missed alerts; the next weeks'
 * misses scatter around that by about its square root, so such a threshold keeps less than 99 %
 * about half of the time. Here the threshold is the highest whose missed share stays within
 * 1 − target even at an upper confidence bound of the misses counted on the folds: the
 * validation alerts of all folds are pooled (each counting once overall, though the folds overlap),
 * and the bound is that of a Poisson count, m + 1 + z·√(v + 1), with v the sum of the squared
 * weights of the missed alerts (an explored alert's answer stands for 1/rate alerts, and so
 * weighs more in the variance too).
 *
 * Each type within a model is bound as well, by plain counts (its answers are too few for a
 * bound to mean much): it may lose at most 1 − floor of its acted-on weight, or its allowance if
 * that is larger, so one type cannot spend the whole budget on its own acted-on alerts.
 */
import type { ScoredAlert, TypeBound } from "../../common/domain/suppressor/replay.js";

/** Above this score an alert always surfaces, whatever the folds suggest (as the domain's rule). */
export const MAX_THRESHOLD = 0.5;

export interface MarginAlert extends ScoredAlert {
  /** How much this alert counts: its answer's weight over the number of folds that scored it. */
  weight: number;
}

/** Upper confidence bound of a Poisson-like count of missed acted-on alerts with weights. */
export function missedUpperBound(missed: number, squaredWeights: number, z: number): number {
  return z <= 0 ? missed : missed + 1 + z * Math.sqrt(squaredWeights + 1);
}

/**
 * The highest threshold (at most MAX_THRESHOLD) at which the upper bound of the missed acted-on
 * weight is at most (1 − target) of all acted-on weight, and, for each type within a model, at
 * most (1 − floor) of its acted-on weight or its allowance, whichever is larger. Alerts the model
 * does not decide (guard rails, the watch) never count as missed.
 */
export function chooseThresholdWithMargin(scored: readonly MarginAlert[], target: number, z: number, typeBound?: TypeBound): number {
  let actedWeight = 0;
  const typeActed = new Map<string, number>();
  for (const s of scored) {
    if (!s.acted) continue;
    actedWeight += s.weight;
    if (typeBound && s.key !== undefined) typeActed.set(s.key, (typeActed.get(s.key) ?? 0) + s.weight);
  }
  const budget = (1 - target) * actedWeight;
  const typeMissed = new Map<string, number>();
  const candidates = scored.filter((s) => s.acted && s.decidable).sort((a, b) => a.score - b.score);
  let m = 0;
  let v = 0;
  for (const c of candidates) {
    // Below c's score everything so far is missed; holding c back too must keep every bound.
    m += c.weight;
    v += c.weight * c.weight;
    if (missedUpperBound(m, v, z) > budget + 1e-9) return Math.min(MAX_THRESHOLD, c.score);
    if (typeBound && c.key !== undefined) {
      const missedOfType = (typeMissed.get(c.key) ?? 0) + c.weight;
      typeMissed.set(c.key, missedOfType);
      if (missedOfType > Math.max((1 - typeBound.floor) * (typeActed.get(c.key) ?? 0), typeBound.allowance) + 1e-9) {
        return Math.min(MAX_THRESHOLD, c.score);
      }
    }
  }
  return MAX_THRESHOLD;
}
