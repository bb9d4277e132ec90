/**
 * Drift of one window against its reference, per feature, and the decision whether it drifted.
 * Pure.
 *
 * The default test, chosen per feature by type and window size (as Evidently does, but on the
 * window's size, which is the noisy side):
 * - fewer than `minSamples` (30) values: no decision (`insufficient_data`);
 * - up to 1,000 values: a test of significance, Kolmogorov–Smirnov for numeric features and
 *   chi-square for categorical ones, with the p-values adjusted by Benjamini–Hochberg across the
 *   model's features in that window and compared with 0.05, so that watching many features does
 *   not multiply false alarms;
 * - more than 1,000 values: an effect size, the normalised Wasserstein distance (numeric, ≥ 0.1)
 *   or the Jensen–Shannon distance (categorical, ≥ 0.1). A p-value test on a large window flags
 *   differences too small to matter; a distance does not grow with the sample. The Jensen–Shannon
 *   decision accounts for the sizes of both samples and the number of categories: two samples of
 *   one distribution already differ by the divergence expected under the permutation null
 *   (jensen-shannon-null.ts), so the score is the bias-corrected distance √max(0, JSD − E₀[JSD]),
 *   and a window drifts only when that reaches the threshold and JSD also lies beyond
 *   E₀ + 3.09 sd₀ (a false-alarm rate of about 0.1 % per feature and window, up to ~1 % with very
 *   few categories, where the null is skewed).
 * Every statistic is computed and stored whichever decides, and a feature's rule may choose the
 * method, its threshold and the minimum sample.
 */
import type { DriftMethod, FeatureRule } from "../../../../schemas/models.js";
import { chiSquareHomogeneity } from "./chi-square.js";
import { benjaminiHochberg } from "./fdr.js";
import { jensenShannonDistance } from "./jensen-shannon.js";
import { jensenShannonNull } from "./jensen-shannon-null.js";
import { ksPValue, ksStatisticFromBins } from "./kolmogorov-smirnov.js";
import { coarseCounts, type FeatureKind, type FeatureProfile } from "./profile.js";
import { populationStabilityIndex } from "./psi.js";
import type { FeatureSummary } from "./summary.js";
import { normalisedWasserstein, wassersteinFromBins } from "./wasserstein.js";

export const DRIFT_DEFAULTS = {
  minSamples: 30,
  /** above this many values, decide on an effect size instead of a p-value */
  largeSample: 1000,
  thresholds: { ks: 0.05, chi_square: 0.05, wasserstein: 0.1, jensen_shannon: 0.1, psi: 0.2 } satisfies Record<DriftMethod, number>,
  /** a Jensen–Shannon divergence must exceed its null mean by this many null standard deviations */
  jensenShannonZ: 3.09,
};

const P_VALUE_METHODS = new Set<DriftMethod>(["ks", "chi_square"]);

export type DriftDecision = "drift" | "no_drift" | "insufficient_data";

export interface FeatureStatistics {
  psi: number | null;
  ks: number | null;
  ksPValue: number | null;
  ksErrorBound: number | null;
  /** the raw distance between the two histograms (as scipy computes it) */
  jensenShannon: number | null;
  /** the distance expected between two samples of these sizes from one distribution (√E₀[JSD]) */
  jensenShannonExpected: number | null;
  /** √max(0, JSD − E₀[JSD]): the distance beyond sampling noise, what the decision compares */
  jensenShannonCorrected: number | null;
  /** JSD ≥ E₀ + z·sd₀: the difference is not sampling noise */
  jensenShannonBeyondNoise: boolean | null;
  /** normalised by the reference's standard deviation */
  wasserstein: number | null;
  wassersteinErrorBound: number | null;
  chi2: number | null;
  chi2PValue: number | null;
  unseenShare: number | null;
}

export interface FeatureDrift extends FeatureStatistics {
  feature: string;
  kind: FeatureKind;
  n: number;
  referenceN: number;
  method: DriftMethod;
  /** the deciding method's statistic */
  score: number | null;
  /** p-value methods: the Benjamini–Hochberg adjusted p-value the decision used */
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  decision: DriftDecision;
}

export function defaultMethod(kind: FeatureKind, n: number): DriftMethod {
  const large = n > DRIFT_DEFAULTS.largeSample;
  if (kind === "numeric") return large ? "wasserstein" : "ks";
  return large ? "jensen_shannon" : "chi_square";
}

/** Every statistic of the feature's kind; null where there are no values on one side. */
export function featureStatistics(profile: FeatureProfile, window: FeatureSummary): FeatureStatistics {
  const none: FeatureStatistics = {
    psi: null,
    ks: null,
    ksPValue: null,
    ksErrorBound: null,
    jensenShannon: null,
    jensenShannonExpected: null,
    jensenShannonCorrected: null,
    jensenShannonBeyondNoise: null,
    wasserstein: null,
    wassersteinErrorBound: null,
    chi2: null,
    chi2PValue: null,
    unseenShare: null,
  };
  if (profile.n === 0 || window.n === 0) return none;
  if (profile.kind === "numeric") {
    const refCoarse = coarseCounts(profile, profile.counts);
    const winCoarse = coarseCounts(profile, window.counts);
    const ks = ksStatisticFromBins(profile.counts, window.counts);
    const w = wassersteinFromBins(
      profile.edges,
      { counts: profile.counts, sums: profile.sums, min: profile.min, max: profile.max },
      { counts: window.counts, sums: window.sums, min: window.min, max: window.max },
    );
    // A constant reference has no spread to scale by: use its magnitude (or 1) instead.
    const scale = profile.std > 0 ? profile.std : Math.max(Math.abs(profile.mean), 1);
    return {
      ...none,
      psi: populationStabilityIndex(refCoarse, winCoarse),
      ...jensenShannon(refCoarse, winCoarse),
      ks: ks.statistic,
      ksPValue: ksPValue(ks.statistic, profile.n, window.n),
      ksErrorBound: ks.errorBound,
      wasserstein: normalisedWasserstein(w.distance, scale),
      wassersteinErrorBound: w.errorBound / scale,
    };
  }
  const chi = chiSquareHomogeneity(profile.counts, window.counts);
  return {
    ...none,
    psi: populationStabilityIndex(profile.counts, window.counts),
    ...jensenShannon(profile.counts, window.counts, 0),
    chi2: chi.statistic,
    chi2PValue: chi.pValue,
    unseenShare: window.counts[0]! / window.n,
  };
}

/** `otherBin`: the bin of values outside the reference's own categories (categorical features). */
function jensenShannon(
  reference: number[],
  window: number[],
  otherBin?: number,
): Pick<FeatureStatistics, "jensenShannon" | "jensenShannonExpected" | "jensenShannonCorrected" | "jensenShannonBeyondNoise"> {
  const distance = jensenShannonDistance(reference, window);
  const divergence = distance * distance;
  const noise = jensenShannonNull(reference, window, otherBin === undefined ? {} : { otherBin });
  return {
    jensenShannon: distance,
    jensenShannonExpected: Math.sqrt(noise.mean),
    jensenShannonCorrected: Math.sqrt(Math.max(0, divergence - noise.mean)),
    jensenShannonBeyondNoise: divergence >= noise.mean + DRIFT_DEFAULTS.jensenShannonZ * noise.sd,
  };
}

function methodScore(method: DriftMethod, s: FeatureStatistics): { score: number | null; pValue: number | null } {
  switch (method) {
    case "ks":
      return { score: s.ks, pValue: s.ksPValue };
    case "chi_square":
      return { score: s.chi2, pValue: s.chi2PValue };
    case "wasserstein":
      return { score: s.wasserstein, pValue: null };
    case "jensen_shannon":
      return { score: s.jensenShannonCorrected, pValue: null };
    case "psi":
      return { score: s.psi, pValue: null };
  }
}

export interface FeatureInput {
  profile: FeatureProfile;
  window: FeatureSummary;
  rule?: FeatureRule | undefined;
}

/**
 * The drift of every feature of one model version in one window. P-values of the features decided
 * by a test of significance are adjusted together (Benjamini–Hochberg), so the expected share of
 * false alarms among the flagged features stays at the significance level.
 */
export function decideDrift(features: FeatureInput[]): FeatureDrift[] {
  const scored = features.map(({ profile, window, rule }) => {
    const stats = featureStatistics(profile, window);
    const applicable = rule?.drift?.method && isApplicable(rule.drift.method, profile.kind) ? rule.drift.method : undefined;
    const method = applicable ?? defaultMethod(profile.kind, window.n);
    // A threshold declared for a method that does not apply means nothing for the fallback.
    const threshold = (applicable || !rule?.drift?.method ? rule?.drift?.threshold : undefined) ?? DRIFT_DEFAULTS.thresholds[method];
    const minSamples = rule?.drift?.min_samples ?? DRIFT_DEFAULTS.minSamples;
    const { score, pValue } = methodScore(method, stats);
    const enough = window.n >= minSamples && score !== null;
    return { profile, window, stats, method, threshold, score, rawP: pValue, enough };
  });
  const tested = scored.filter((s) => s.enough && P_VALUE_METHODS.has(s.method) && s.rawP !== null);
  const adjusted = new Map(tested.map((s, i) => [s, benjaminiHochberg(tested.map((t) => t.rawP!))[i]!]));
  return scored.map((s) => {
    const pValue = adjusted.get(s) ?? null;
    const beyondNoise = s.method !== "jensen_shannon" || s.stats.jensenShannonBeyondNoise === true;
    const drifted = s.enough && (pValue !== null ? pValue < s.threshold : s.score! >= s.threshold && beyondNoise);
    return {
      feature: s.profile.feature,
      kind: s.profile.kind,
      n: s.window.n,
      referenceN: s.profile.n,
      ...s.stats,
      method: s.method,
      score: s.score,
      pValue,
      threshold: s.threshold,
      drifted,
      decision: !s.enough ? "insufficient_data" : drifted ? "drift" : "no_drift",
    };
  });
}

function isApplicable(method: DriftMethod, kind: FeatureKind): boolean {
  return kind === "numeric" ? method !== "chi_square" : method !== "ks" && method !== "wasserstein";
}
