/**
 * Group fairness of a binary classifier over the groups of one sensitive segment key: per group,
 * the selection rate, true and false positive rates and accuracy, each with a Wilson interval;
 * against a reference group, their differences (Newcombe's hybrid score interval, his method 10)
 * and ratios (Katz's log interval); and the four-fifths rule on selection rates. Pure.
 *
 * The reference is the group named by the caller, else the group selected most often, which is
 * how the four-fifths rule compares (each group's selection rate against the highest one).
 */
import { normalQuantile, wilsonInterval } from "./intervals.js";

export interface GroupCounts {
  group: string;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export const FAIRNESS_RATES = ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"] as const;
export type FairnessRate = (typeof FAIRNESS_RATES)[number];

export interface RateEstimate {
  value: number | null;
  successes: number;
  n: number;
  ci95: [number, number] | null;
}

export interface Comparison {
  difference: number | null;
  difference_ci95: [number, number] | null;
  ratio: number | null;
  ratio_ci95: [number, number] | null;
}

export interface GroupFairness {
  group: string;
  labeled: number;
  rates: Record<FairnessRate, RateEstimate>;
  /** This group against the reference (the reference against itself: difference 0, ratio 1). */
  versus_reference: Record<FairnessRate, Comparison>;
  /** Selection rate at least four fifths of the reference's; null when either rate is unknown. */
  passes_four_fifths: boolean | null;
}

export interface FairnessReport {
  reference: string | null;
  groups: GroupFairness[];
  /** Groups whose selection rate is below four fifths of the reference's. */
  adverse_impact: string[];
}

const Z95 = normalQuantile(0.95);

/** Successes and trials of each rate, from the confusion counts. */
function counts(c: GroupCounts, rate: FairnessRate): [number, number] {
  switch (rate) {
    case "selection_rate":
      return [c.tp + c.fp, c.tp + c.fp + c.fn + c.tn];
    case "true_positive_rate":
      return [c.tp, c.tp + c.fn];
    case "false_positive_rate":
      return [c.fp, c.fp + c.tn];
    case "accuracy":
      return [c.tp + c.tn, c.tp + c.fp + c.fn + c.tn];
  }
}

function estimate(successes: number, n: number): RateEstimate {
  return n > 0
    ? { value: successes / n, successes, n, ci95: wilsonInterval(successes, n, 0.95) }
    : { value: null, successes, n, ci95: null };
}

/** Newcombe (1998), method 10: p1 − p2 with an interval built from the two Wilson intervals. */
export function differenceInterval(x1: number, n1: number, x2: number, n2: number): [number, number] {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u1] = wilsonInterval(x1, n1, 0.95);
  const [l2, u2] = wilsonInterval(x2, n2, 0.95);
  const d = p1 - p2;
  return [d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
}

/** Katz et al. (1978): p1 / p2 with a log-normal interval; none when either side has no successes. */
export function ratioInterval(x1: number, n1: number, x2: number, n2: number): [number, number] | null {
  if (x1 === 0 || x2 === 0) return null;
  const r = x1 / n1 / (x2 / n2);
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  return [r * Math.exp(-Z95 * se), r * Math.exp(Z95 * se)];
}

function compare(group: RateEstimate, reference: RateEstimate): Comparison {
  if (group.value === null || reference.value === null) return { difference: null, difference_ci95: null, ratio: null, ratio_ci95: null };
  return {
    difference: group.value - reference.value,
    difference_ci95: differenceInterval(group.successes, group.n, reference.successes, reference.n),
    ratio: reference.value === 0 ? null : group.value / reference.value,
    ratio_ci95: ratioInterval(group.successes, group.n, reference.successes, reference.n),
  };
}

/** The report over `groups`; `reference` names the reference group (else the one selected most often). */
export function fairnessReport(groups: readonly GroupCounts[], reference?: string): FairnessReport {
  const rated = groups.map((c) => ({
    group: c.group,
    labeled: c.tp + c.fp + c.fn + c.tn,
    rates: Object.fromEntries(FAIRNESS_RATES.map((r) => [r, estimate(...counts(c, r))])) as Record<FairnessRate, RateEstimate>,
  }));
  const ref =
    reference !== undefined
      ? rated.find((g) => g.group === reference)
      : rated
          .filter((g) => g.rates.selection_rate.value !== null)
          // Ties go to the larger group, then the name, so the choice never depends on order.
          .sort(
            (a, b) =>
              b.rates.selection_rate.value! - a.rates.selection_rate.value! || b.labeled - a.labeled || (a.group < b.group ? -1 : 1),
          )[0];
  const out = rated.map((g): GroupFairness => {
    const versus = Object.fromEntries(
      FAIRNESS_RATES.map((r) => [
        r,
        ref ? compare(g.rates[r], ref.rates[r]) : { difference: null, difference_ci95: null, ratio: null, ratio_ci95: null },
      ]),
    ) as Record<FairnessRate, Comparison>;
    const ratio = versus.selection_rate.ratio;
    // A reference that selects nobody: every group selects at least as often.
    const passes =
      !ref || g.rates.selection_rate.value === null || ref.rates.selection_rate.value === null
        ? null
        : ref.rates.selection_rate.value === 0 || (ratio !== null && ratio >= 0.8);
    return { ...g, versus_reference: versus, passes_four_fifths: passes };
  });
  return {
    reference: ref?.group ?? null,
    groups: out,
    adverse_impact: out.filter((g) => g.passes_four_fifths === false).map((g) => g.group),
  };
}
