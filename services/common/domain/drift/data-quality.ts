/**
 * Data-quality checks of one window of one feature, against the model's declared rules or, where a
 * rule is not declared, the rule the reference proposes (see proposeRules). Pure.
 *
 * Declared rules are strict: one offending value is a violation. Learned rules allow for what a
 * finite reference cannot know: a learned bound or required feature is violated only when more
 * than 1% of the window breaks it, and a learned null fraction only when it exceeds the
 * reference's by more than sampling explains.
 */
import type { FeatureRule } from "../../../../schemas/models.js";
import { nextUp, numericBin, type FeatureProfile } from "./profile.js";
import type { FeatureSummary } from "./summary.js";

export const QUALITY_CHECKS = [
  "missing",
  "null_fraction",
  "type_mismatch",
  "unknown_feature",
  "below_min",
  "above_max",
  "negative",
  "cardinality",
  "new_categories",
] as const;
export type QualityCheckName = (typeof QUALITY_CHECKS)[number];

export interface QualityCheck {
  feature: string;
  check: QualityCheckName;
  value: number;
  expected: number;
  violated: boolean;
  /** values (or rows) that break the rule */
  count: number;
  rule: "declared" | "learned";
  detail: string;
}

/** Learned rules tolerate this share of offending values. */
export const LEARNED_TOLERANCE = 0.01;

/** A bound as people read it: learned bounds carry every digit of a float, which nobody needs. */
const readable = (x: number) => String(Number(x.toPrecision(6)));
/** A reference category expected this many times in a window and never seen has vanished. */
export const VANISHED_EXPECTED_COUNT = 10;

/** The rules a reference suggests for a feature; shown by the API, applied where none is declared. */
export function proposeRules(profile: FeatureProfile): FeatureRule {
  const rule: FeatureRule = { type: profile.kind, required: profile.rows > 0 && profile.present === profile.rows };
  rule.max_null_fraction = round(profile.present === 0 ? 0 : profile.nulls / profile.present);
  if (profile.kind === "numeric" && profile.n > 0) {
    rule.min = profile.min;
    rule.max = profile.max;
    rule.non_negative = profile.min >= 0;
  }
  if (profile.kind === "categorical" && profile.counts[0] === 0) rule.allowed = [...profile.categories];
  return rule;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function checkQuality(
  profile: FeatureProfile | undefined,
  window: FeatureSummary,
  declared: FeatureRule | undefined,
): QualityCheck[] {
  const feature = window.feature;
  if (!profile) {
    if (declared) return [];
    return [
      {
        feature,
        check: "unknown_feature",
        value: window.present,
        expected: 0,
        violated: window.present > 0,
        count: window.present,
        rule: "learned",
        detail: `${window.present} predictions carry a feature the reference does not have`,
      },
    ];
  }
  const learned = proposeRules(profile);
  const source = (key: keyof FeatureRule): "declared" | "learned" => (declared?.[key] !== undefined ? "declared" : "learned");
  const pick = <K extends keyof FeatureRule>(key: K): FeatureRule[K] => declared?.[key] ?? learned[key];
  const over = (count: number, of: number, rule: "declared" | "learned") =>
    count > 0 && (rule === "declared" || count / Math.max(of, 1) > LEARNED_TOLERANCE);
  const out: QualityCheck[] = [];

  if (pick("required")) {
    const missing = window.rows - window.present;
    const rule = source("required");
    out.push({
      feature,
      check: "missing",
      value: window.rows === 0 ? 0 : missing / window.rows,
      expected: 0,
      violated: over(missing, window.rows, rule),
      count: missing,
      rule,
      detail: `${missing} of ${window.rows} predictions lack the feature`,
    });
  }

  const nullShare = window.present === 0 ? 0 : window.nulls / window.present;
  const nullRule = source("max_null_fraction");
  const refNull = learned.max_null_fraction ?? 0;
  // Three standard errors of the reference's rate, plus a point, before a learned rate is broken.
  const allowedNull =
    nullRule === "declared"
      ? declared!.max_null_fraction!
      : refNull + 3 * Math.sqrt((refNull * (1 - refNull)) / Math.max(window.present, 1)) + 0.01;
  out.push({
    feature,
    check: "null_fraction",
    value: nullShare,
    expected: allowedNull,
    violated: nullShare > allowedNull,
    count: window.nulls,
    rule: nullRule,
    detail: `${window.nulls} of ${window.present} values are null`,
  });

  out.push({
    feature,
    check: "type_mismatch",
    value: window.present === 0 ? 0 : window.mismatches / window.present,
    expected: 0,
    violated: window.mismatches > 0,
    count: window.mismatches,
    rule: source("type"),
    detail: `${window.mismatches} values are not ${profile.kind === "numeric" ? "numbers" : "strings or booleans"}`,
  });

  if (profile.kind === "numeric") out.push(...numericChecks(profile, window, pick, source, over));
  else out.push(...categoricalChecks(profile, window, declared, over));
  return out;
}

type Pick = <K extends keyof FeatureRule>(key: K) => FeatureRule[K];
type Source = (key: keyof FeatureRule) => "declared" | "learned";
type Over = (count: number, of: number, rule: "declared" | "learned") => boolean;

function numericChecks(
  profile: FeatureProfile & { kind: "numeric" },
  window: FeatureSummary,
  pick: Pick,
  source: Source,
  over: Over,
): QualityCheck[] {
  const out: QualityCheck[] = [];
  const feature = window.feature;
  // Bounds are bin edges of the reference (see numericEdges), so counting whole bins is exact;
  // a bound declared after the reference was built counts only the bins wholly beyond it.
  const below = (bound: number) => sumBins(window.counts, 0, numericBin(profile.edges, bound) - 1);
  const above = (bound: number) => {
    const start = nextUp(bound);
    return sumBins(window.counts, numericBin(profile.edges, start) + (profile.edges.includes(start) ? 0 : 1), window.counts.length - 1);
  };
  const min = pick("min");
  if (min !== undefined) {
    const count = below(min);
    const rule = source("min");
    out.push({
      feature,
      check: "below_min",
      value: window.n === 0 ? 0 : window.min,
      expected: min,
      violated: over(count, window.n, rule),
      count,
      rule,
      detail: `${count} of ${window.n} values below ${readable(min)}`,
    });
  }
  const max = pick("max");
  if (max !== undefined) {
    const count = above(max);
    const rule = source("max");
    out.push({
      feature,
      check: "above_max",
      value: window.n === 0 ? 0 : window.max,
      expected: max,
      violated: over(count, window.n, rule),
      count,
      rule,
      detail: `${count} of ${window.n} values above ${readable(max)}`,
    });
  }
  if (pick("non_negative")) {
    const count = below(0);
    const rule = source("non_negative");
    out.push({
      feature,
      check: "negative",
      value: window.n === 0 ? 0 : Math.min(window.min, 0),
      expected: 0,
      violated: over(count, window.n, rule),
      count,
      rule,
      detail: `${count} negative values`,
    });
  }
  return out;
}

function categoricalChecks(
  profile: FeatureProfile & { kind: "categorical" },
  window: FeatureSummary,
  declared: FeatureRule | undefined,
  _over: Over,
): QualityCheck[] {
  const feature = window.feature;
  const seen = profile.categories.filter((_, i) => window.counts[i + 1]! > 0).length;
  const p = profile.counts.map((c) => c / Math.max(profile.n, 1));
  // Expected distinct categories in n draws from the reference: Σ 1 − (1 − p_c)^n.
  const expectedDistinct = profile.categories.reduce((sum, _, i) => sum + 1 - (1 - p[i + 1]!) ** window.n, 0);
  const vanished = profile.categories.filter((_, i) => window.counts[i + 1] === 0 && window.n * p[i + 1]! >= VANISHED_EXPECTED_COUNT);
  const unseen = window.counts[0] ?? 0;
  const allowed = declared?.allowed;
  // Values outside a declared list: reference categories not in it, and unseen values unless the
  // few examples kept of them are all allowed.
  const outside = allowed
    ? profile.categories.reduce((sum, c, i) => sum + (allowed.includes(c) ? 0 : window.counts[i + 1]!), 0) +
      (window.unseenTop.every((v) => allowed.includes(v)) ? 0 : unseen)
    : unseen;
  const rule = allowed ? "declared" : "learned";
  // A reference capped at MAX_CATEGORIES has its own "other" share; only more than that is new.
  const referenceOther = profile.n === 0 ? 0 : profile.counts[0]! / profile.n;
  const share = window.n === 0 ? 0 : outside / window.n;
  return [
    {
      feature,
      check: "cardinality",
      value: seen + window.unseenDistinct,
      expected: round(expectedDistinct),
      violated: vanished.length > 0,
      count: vanished.length,
      rule: "learned",
      detail:
        vanished.length > 0
          ? `vanished: ${vanished.slice(0, 10).join(", ")}`
          : `${seen} of ${profile.categories.length} reference categories seen`,
    },
    {
      feature,
      check: "new_categories",
      value: share,
      expected: allowed ? 0 : round(referenceOther),
      violated: allowed ? outside > 0 : share > referenceOther + LEARNED_TOLERANCE,
      count: outside,
      rule,
      detail: window.unseenTop.length > 0 ? `new: ${window.unseenTop.join(", ")}` : "none",
    },
  ];
}

function sumBins(counts: number[], from: number, to: number): number {
  let s = 0;
  for (let i = Math.max(0, from); i <= to && i < counts.length; i++) s += counts[i]!;
  return s;
}
