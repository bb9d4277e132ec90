/**
 * How the suppressor's threshold is chosen on validation folds (replay.ts runs the folds). Two rules:
 *
 * "margin" (the default). A threshold chosen to keep exactly 99 % of the acted-on alerts on the
 * folds rests on a dozen or so missed alerts; the next weeks' misses scatter around that by about
 * its square root, so such a threshold keeps less than 99 % about half of the time. Here:
 * - each fold is lived as production would live it (`watchedFold`): alerts exploration surfaces
 *   are not the model's to miss, and the disagreement watch hears only answers to surfaced alerts;
 * - the folds' validation alerts are pooled, each counting once overall although the folds overlap;
 * - the threshold is the highest whose missed share stays within (1 − target) / foldOptimism even
 *   at an upper confidence bound of the misses counted on the folds: that of a Poisson count,
 *   m + 1 + z·√(v + 1), with v the sum of the squared weights of the missed alerts (an explored
 *   alert's answer stands for 1/rate alerts, and so weighs more in the variance too).
 * Each type within a model is bound as well, by plain counts (its answers are too few for a
 * bound to mean much): it may lose at most 1 − floor of its acted-on weight, or its allowance if
 * that is larger, so one type cannot spend the whole budget on its own acted-on alerts.
 *
 * "median" (the earlier rule, kept for comparison). Each fold's threshold keeps exactly the target
 * recall of its acted-on alerts (`chooseThreshold`, with the watch over the fold: `foldThreshold`),
 * and the median of the folds' thresholds is used.
 */
import { DisagreementMonitor, type DisagreementOptions } from "./disagreement.js";
import type { AlertRecord } from "./types.js";

/** Above this score an alert always surfaces, whatever the folds suggest. */
export const MAX_THRESHOLD = 0.5;

/** A validation alert: its score, whether it was acted on, whether the model decides it, and how many alerts it stands for. */
export interface ScoredAlert {
  score: number;
  acted: boolean;
  decidable: boolean;
  /**
   * 1/surface_probability: an explored alert's answer stands for the would-be-suppressed alerts it
   * was drawn from (divided, under the margin rule, by the number of folds that scored the alert).
   */
  weight: number;
  /** The alert's type within its model, for the per-type recall floor (none: only the overall recall binds). */
  key?: string;
}

export interface TypeBound {
  /** Lowest recall any one type may be left with… */
  floor: number;
  /** …once it has missed this many acted-on alerts (weights). */
  allowance: number;
}

/**
 * The highest threshold (at most MAX_THRESHOLD) whose recall of acted-on alerts, guard rails
 * included and exploration left out, is at least `target`, counting each alert `weight` times.
 */
export function chooseThreshold(scored: ScoredAlert[], target: number, typeBound?: TypeBound): number {
  const acted = scored.filter((s) => s.acted);
  let budget = (1 - target) * acted.reduce((sum, s) => sum + s.weight, 0) + 1e-9;
  // Each type's own budget: the larger of its allowance and (1 − floor) of its acted-on weight.
  const typeBudget = new Map<string, number>();
  if (typeBound)
    for (const s of acted) if (s.key !== undefined) typeBudget.set(s.key, (typeBudget.get(s.key) ?? 0) + (1 - typeBound.floor) * s.weight);
  for (const [key, b] of typeBudget) typeBudget.set(key, Math.max(b, typeBound!.allowance) + 1e-9);
  const candidates = acted.filter((s) => s.decidable).sort((a, b) => a.score - b.score);
  // Missing the lowest-scored decidable acted alerts is within budget while their weights fit; the next one must surface.
  for (const c of candidates) {
    budget -= c.weight;
    const own = c.key === undefined ? undefined : typeBudget.get(c.key);
    if (own !== undefined) typeBudget.set(c.key!, own - c.weight);
    if (budget < 0 || (own !== undefined && own - c.weight < 0)) return Math.min(MAX_THRESHOLD, c.score);
  }
  return MAX_THRESHOLD;
}

/**
 * The median rule's threshold for one validation fold, with the disagreement watch running over it
 * as it would in production: choose a threshold, replay the fold in time order flagging types
 * whose answers below it disagree with their scores, count the flagged types' later alerts as
 * surfaced, and choose again (twice). A type whose behaviour changed inside the fold then costs
 * the few misses before it was flagged, not a threshold near zero for every type.
 */
export function foldThreshold(
  fold: Array<ScoredAlert & { record: AlertRecord }>,
  target: number,
  typeBound: TypeBound | undefined,
  disagreement: DisagreementOptions,
): { threshold: number; flagged: number } {
  let threshold = chooseThreshold(fold, target, typeBound);
  let flagged = 0;
  for (let round = 0; round < 2; round++) {
    const monitor = new DisagreementMonitor(disagreement);
    const watched = fold.map((s) => {
      const flag = s.decidable && monitor.disagrees(s.record, s.record.time);
      monitor.observe(s.record, s.score, threshold);
      return flag ? { ...s, decidable: false } : s;
    });
    flagged = watched.filter((s, i) => s.decidable !== fold[i]!.decidable).length;
    threshold = chooseThreshold(watched, target, typeBound);
  }
  return { threshold, flagged };
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
export function chooseThresholdWithMargin(scored: readonly ScoredAlert[], target: number, z: number, typeBound?: TypeBound): number {
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

export interface MarginSettings {
  targetRecall: number;
  /** How many standard deviations of the missed count the margin allows for (one-sided). */
  marginZ: number;
  /**
   * How many times more of the acted-on alerts the live weeks miss than the validation folds did
   * at the same threshold (measured on the design families: the folds see every answer and a model
   * a quarter old, the live weeks only surfaced answers and behaviour that moved on).
   */
  foldOptimism: number;
  disagreement: DisagreementOptions;
}

/** The recall the margin rule aims at on the folds, so that the live weeks keep `targetRecall`. */
export const aimedRecall = (o: Pick<MarginSettings, "targetRecall" | "foldOptimism">): number =>
  1 - (1 - o.targetRecall) / Math.max(1, o.foldOptimism);

/**
 * The margin rule's view of one validation fold, lived as production would live it: choose a
 * threshold on the fold, then replay it in time order with the disagreement watch hearing only
 * what production hears (answers to alerts that surfaced: below the threshold, only the explored
 * ones), take the flagged types' later alerts out of the model's hands, and choose again (twice).
 * Alerts exploration surfaces are not the model's to miss either. Returns the fold's alerts as
 * production would have decided them.
 */
export function watchedFold<T extends ScoredAlert & { record: AlertRecord; explored: boolean }>(
  fold: T[],
  o: MarginSettings,
  typeBound: TypeBound,
): { threshold: number; alerts: T[] } {
  const decided = (s: T): T => (s.decidable && s.explored ? { ...s, decidable: false } : s);
  let alerts = fold.map(decided);
  let threshold = chooseThresholdWithMargin(alerts, aimedRecall(o), o.marginZ, typeBound);
  for (let round = 0; round < 2; round++) {
    const monitor = new DisagreementMonitor(o.disagreement);
    alerts = fold.map((s) => {
      const flag = s.decidable && monitor.disagrees(s.record, s.record.time);
      // A held-back alert was never seen, so its answer never reaches the watch.
      const heldBack = s.decidable && !flag && !s.explored && s.score < threshold;
      if (!heldBack) monitor.observe(s.record, s.score, threshold);
      return flag ? { ...s, decidable: false } : decided(s);
    });
    threshold = chooseThresholdWithMargin(alerts, aimedRecall(o), o.marginZ, typeBound);
  }
  return { threshold, alerts };
}
