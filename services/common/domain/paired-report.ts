/**
 * The paired comparison of two variants as GET /v1/models/:id/compare reports it: which pair of
 * the stored ones is meant, oriented as asked (A the incumbent, B the candidate), and the figures
 * of paired.ts with the reading and its evidence. Pure.
 */
import {
  comparePairedClassification,
  comparePairedRegression,
  decidePairedRegression,
  type DecisionOptions,
  type Interval,
  newcombePairedInterval,
  type PairedErrorMoments,
} from "./paired.js";
import { wilsonInterval } from "./intervals.js";

export interface Variant {
  version: string;
  stage: string;
}

/** A pair of variants' statistics summed over a range (stored with A < B by version, then stage). */
export interface VariantPair {
  a: Variant;
  b: Variant;
  pairs: number;
  agreeing: number;
  bothRight: number;
  onlyA: number;
  onlyB: number;
  bothWrong: number;
  errors: PairedErrorMoments;
}

const named = (v: Variant) => `${v.version} (${v.stage})`;

/** The same statistics read from B's side: the discordant cells and the error sums trade places, d changes sign. */
export function swapped(p: VariantPair): VariantPair {
  return {
    ...p,
    a: p.b,
    b: p.a,
    onlyA: p.onlyB,
    onlyB: p.onlyA,
    errors: { ...p.errors, mean: -p.errors.mean, absErrorA: p.errors.absErrorB, absErrorB: p.errors.absErrorA },
  };
}

export interface VariantWanted {
  version: string;
  /** Any stage when omitted. */
  stage?: string | undefined;
}

export type Selection = { ok: true; pair: VariantPair } | { ok: false; status: 400 | 404; code: string; message: string };

const matches = (v: Variant, w: VariantWanted) => v.version === w.version && (w.stage === undefined || v.stage === w.stage);

/**
 * The pair meant by `a` and `b` (both, or neither: then the pair seen on the most requests),
 * oriented with `a` as A. A variant never paired in the range is 404; one that names several
 * stored pairs (a version under two stages) is 400, naming the stages to choose from.
 */
export function selectPair(stored: readonly VariantPair[], a?: VariantWanted, b?: VariantWanted): Selection {
  if ((a === undefined) !== (b === undefined))
    return {
      ok: false,
      status: 400,
      code: "bad_request",
      message: "give both a and b (the incumbent and the candidate version), or neither",
    };
  if (a === undefined || b === undefined) {
    const [top] = [...stored].sort((x, y) => y.pairs - x.pairs);
    return top
      ? { ok: true, pair: top }
      : { ok: false, status: 404, code: "no_pairs", message: "no variants were scored on the same requests in this range" };
  }
  if (a.version === b.version && a.stage === b.stage && a.stage !== undefined)
    return { ok: false, status: 400, code: "bad_request", message: "a and b name the same variant" };
  const found = stored.flatMap((p) => (matches(p.a, a) && matches(p.b, b) ? [p] : matches(p.b, a) && matches(p.a, b) ? [swapped(p)] : []));
  if (found.length === 1) return { ok: true, pair: found[0]! };
  if (found.length > 1)
    return {
      ok: false,
      status: 400,
      code: "ambiguous_variant",
      message: `a and b match ${found.length} pairs of variants: ${found.map((p) => `${named(p.a)} vs ${named(p.b)}`).join(", ")}; give a_stage and b_stage`,
    };
  const seen = [...new Set(stored.flatMap((p) => [named(p.a), named(p.b)]))].sort();
  const missing = [a, b].find((w) => !stored.some((p) => matches(p.a, w) || matches(p.b, w)));
  return {
    ok: false,
    status: 404,
    code: "unknown_variant",
    message: `${
      missing
        ? `no paired traffic of version '${missing.version}'${missing.stage === undefined ? "" : ` in stage '${missing.stage}'`}`
        : "these two variants were not scored on the same requests"
    } in this range; variants seen on shared requests: ${seen.length ? seen.join(", ") : "none"}`,
  };
}

export interface PairedReport {
  a: Variant;
  b: Variant;
  pairs: number;
  /** Share of pairs with the same predicted class (classification), with its Wilson interval. */
  agreement: Interval | null;
  classification: {
    labelled_pairs: number;
    table: { both_right: number; only_a: number; only_b: number; both_wrong: number };
    accuracy_a: number | null;
    accuracy_b: number | null;
    /** accuracy B − accuracy A, Newcombe's interval. */
    difference: Interval;
    mcnemar: { method: string; discordant: number; statistic: number; p_value: number };
  } | null;
  regression: {
    labelled_pairs: number;
    mae_a: number | null;
    mae_b: number | null;
    /** Mean of |error B| − |error A| (negative: B errs less), t-interval and the paired t-test's p-value. */
    difference: (Interval & { p_value: number }) | null;
  } | null;
  reading: "promote" | "hold" | "roll back";
  evidence: string;
}

export function pairedReport(
  task: "binary" | "multiclass" | "regression",
  p: VariantPair,
  confidence: number,
  options: DecisionOptions,
): PairedReport {
  if (task === "regression") {
    const r = comparePairedRegression(p.errors, confidence);
    const decision = decidePairedRegression(r, options);
    return {
      a: p.a,
      b: p.b,
      pairs: p.pairs,
      agreement: null,
      classification: null,
      regression: {
        labelled_pairs: r.pairs,
        mae_a: r.maeA,
        mae_b: r.maeB,
        difference: r.difference && {
          value: r.difference.value,
          low: r.difference.low,
          high: r.difference.high,
          p_value: r.difference.pValue,
        },
      },
      reading: decision.reading,
      evidence: decision.reason,
    };
  }
  const c = comparePairedClassification(
    { bothRight: p.bothRight, onlyA: p.onlyA, onlyB: p.onlyB, bothWrong: p.bothWrong, agreeing: p.agreeing, pairs: p.pairs },
    confidence,
    options,
  );
  let agreement: Interval | null = null;
  if (p.pairs > 0) {
    const [low, high] = wilsonInterval(p.agreeing, p.pairs, confidence);
    agreement = { value: p.agreeing / p.pairs, low, high };
  }
  return {
    a: p.a,
    b: p.b,
    pairs: p.pairs,
    agreement,
    classification: {
      labelled_pairs: c.labelled,
      table: { both_right: p.bothRight, only_a: p.onlyA, only_b: p.onlyB, both_wrong: p.bothWrong },
      accuracy_a: c.accuracyA,
      accuracy_b: c.accuracyB,
      difference: c.difference,
      mcnemar: { method: c.mcnemar.method, discordant: c.mcnemar.discordant, statistic: c.mcnemar.statistic, p_value: c.mcnemar.pValue },
    },
    regression: null,
    reading: c.decision.reading,
    evidence: c.decision.reason,
  };
}

/** One window of the comparison over time: its pairs, and the difference with the total's interval. */
export type PairedWindowReport =
  | { pairs: number; labelled: number; accuracy_difference: Interval | null }
  | { pairs: number; labelled: number; abs_error_difference: Interval | null };

/**
 * A window's difference, computed exactly as the total's from the window's own statistics (the
 * pair oriented as the total is): Newcombe's interval of accuracy B − A, null without labelled
 * pairs; or the t-interval of the mean |error B| − |error A|, null below 2 labelled pairs.
 */
export function pairedWindowReport(task: "binary" | "multiclass" | "regression", p: VariantPair, confidence: number): PairedWindowReport {
  if (task === "regression") {
    const d = comparePairedRegression(p.errors, confidence).difference;
    return { pairs: p.pairs, labelled: p.errors.n, abs_error_difference: d && { value: d.value, low: d.low, high: d.high } };
  }
  const labelled = p.bothRight + p.onlyA + p.onlyB + p.bothWrong;
  return { pairs: p.pairs, labelled, accuracy_difference: labelled === 0 ? null : newcombePairedInterval(p, confidence) };
}
