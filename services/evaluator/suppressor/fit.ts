/**
 * Fitting the suppressor and replaying a history, as the evaluator, `hindsight suppressor` and the
 * benchmark all do. This follows the domain's fit and replay (services/common/domain/suppressor/
 * replay.ts) step for step, with one difference: how the threshold is chosen.
 *
 * The domain's rule takes the median of the validation folds' thresholds, each chosen to keep
 * exactly `targetRecall` of its fold's acted-on alerts. Each rests on a dozen or so misses, and the
 * live weeks missed more than the folds promised on most families. Here ("margin", the default):
 * - each fold is lived as production would live it: alerts exploration surfaces are not the
 *   model's to miss, and the disagreement watch hears only answers to surfaced alerts;
 * - the folds' validation alerts are pooled, each counting once although the folds overlap;
 * - the threshold is the highest at which an upper confidence bound (z = `marginZ`) of the missed
 *   acted-on alerts stays within (1 − `targetRecall`) / `foldOptimism` of them (threshold.ts), and
 *   each type within a model keeps its floor;
 * - a retraining takes the median of its own threshold and the last trainings'
 *   (`carriedFoldThresholds` in all), so one odd quarter does not swing it.
 * "median" is the domain's rule, kept for comparison.
 */
import { DisagreementMonitor } from "../../common/domain/suppressor/disagreement.js";
import { SuppressorHistory, feedbackWeight, typeModelKey } from "../../common/domain/suppressor/features.js";
import { fitModel, predict, type ModelOptions, type SuppressorModel } from "../../common/domain/suppressor/model.js";
import { decide, explorationDraw, fnv1a } from "../../common/domain/suppressor/policy.js";
import {
  DEFAULT_FIT_OPTIONS,
  DEFAULT_REPLAY_OPTIONS,
  chooseThreshold,
  foldThreshold,
  sortByTime,
  walkHistory,
  type FitOptions,
  type FittedSuppressor,
  type ReplayOptions,
  type ReplayReport,
  type ScoredAlert,
  type TypeBound,
  type TypeFigures,
  type Walk,
} from "../../common/domain/suppressor/replay.js";
import {
  DECISION_REASONS,
  alertType,
  figures,
  isActed,
  type AlertRecord,
  type DecisionReason,
  type Figures,
  type PolicySettings,
} from "../../common/domain/suppressor/types.js";
import { chooseThresholdWithMargin } from "./threshold.js";

export interface SuppressorFitOptions extends FitOptions {
  /** "margin": one threshold on the pooled folds with a bound for chance; "median": the domain's median of fold thresholds. */
  thresholdRule: "margin" | "median";
  /** How many standard deviations of the missed count the margin allows for (one-sided). */
  marginZ: number;
  /**
   * How many times more of the acted-on alerts the live weeks miss than the validation folds did
   * at the same threshold (default 2, measured on the design families: the folds see every answer
   * and a model a quarter old, the live weeks only surfaced answers and behaviour that moved on).
   * The margin rule aims at 1 − (1 − targetRecall) / foldOptimism on the folds.
   */
  foldOptimism: number;
}

export interface SuppressorReplayOptions extends ReplayOptions, SuppressorFitOptions {}

export const DEFAULT_SUPPRESSOR_FIT_OPTIONS: SuppressorFitOptions = {
  ...DEFAULT_FIT_OPTIONS,
  thresholdRule: "margin",
  marginZ: 1,
  foldOptimism: 2,
  carriedFoldThresholds: 3,
};

export const DEFAULT_SUPPRESSOR_REPLAY_OPTIONS: SuppressorReplayOptions = { ...DEFAULT_REPLAY_OPTIONS, ...DEFAULT_SUPPRESSOR_FIT_OPTIONS };

export { labelAt, sortByTime } from "../../common/domain/suppressor/replay.js";

/** The recall the margin rule aims at on the folds, so that the live weeks keep `targetRecall`. */
export const aimedRecall = (o: Pick<SuppressorFitOptions, "targetRecall" | "foldOptimism">): number =>
  1 - (1 - o.targetRecall) / Math.max(1, o.foldOptimism);

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * One validation fold as production would live it: choose a threshold on the fold, then replay it
 * in time order with the disagreement watch hearing only what production hears (answers to alerts
 * that surfaced: below the threshold, only the explored ones), take the flagged types' later
 * alerts out of the model's hands, and choose again (twice). Alerts exploration surfaces are not
 * the model's to miss either. Returns the fold's alerts as production would have decided them.
 */
function watchedFold<T extends ScoredAlert & { record: AlertRecord; explored: boolean }>(
  fold: T[],
  o: SuppressorFitOptions,
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

function fitRows(
  walk: Walk,
  from: number,
  to: number,
  options: ModelOptions & { recencyHalfLifeMs: number; negativesPerPositive: number },
): { model: SuppressorModel; alerts: number; acted: number } {
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  const weights: number[] = [];
  const end = walk.records[Math.max(from, to - 1)]?.time ?? 0;
  const halfLife = options.recencyHalfLifeMs > 0 ? options.recencyHalfLifeMs : Infinity;
  let positives = 0;
  let negatives = 0;
  for (let i = from; i < to; i++)
    if (walk.labels[i] === 1) positives++;
    else if (walk.labels[i] === 0) negatives++;
  const keep =
    options.negativesPerPositive > 0 && negatives > 0
      ? Math.min(1, (options.negativesPerPositive * Math.max(positives, 1)) / negatives)
      : 1;
  for (let i = from; i < to; i++) {
    const y = walk.labels[i];
    if (y === undefined) continue;
    let w = 1;
    if (y === 0 && keep < 1) {
      const r = walk.records[i]!;
      if (fnv1a(`${r.id ?? ""}|${r.time}|${i}`) / 4294967296 >= keep) continue;
      w = 1 / keep;
    }
    rows.push(walk.rows[i]!);
    labels.push(y);
    weights.push(w * feedbackWeight(walk.records[i]!) * 2 ** (-(end - walk.records[i]!.time) / halfLife));
  }
  if (labels.length === 0) throw new Error("no alert with known feedback to train on");
  // With a single class the fit would only push the intercept towards infinity; say so instead.
  if (!labels.includes(1)) throw new Error(`none of the ${labels.length} alerts with feedback was acted on: nothing to learn from`);
  if (!labels.includes(0)) throw new Error(`all ${labels.length} alerts with feedback were acted on: nothing to learn from`);
  const model = fitModel(rows, labels, weights, options);
  return { model, alerts: positives + negatives, acted: positives };
}

/** Whether the model's score decides this alert at all (the guard rails surface it otherwise). */
const modelDecides = (r: AlertRecord, feedbackCount: number, policy: PolicySettings) =>
  decide({
    score: 0,
    alert: r,
    typeFeedbackCount: feedbackCount,
    threshold: 1,
    minFeedback: policy.minFeedback,
    exploreRate: 0,
    seedKey: "",
  }).reason === "below_threshold";

export function fitSuppressor(records: readonly AlertRecord[], options: Partial<SuppressorFitOptions> = {}): FittedSuppressor {
  const o = { ...DEFAULT_SUPPRESSOR_FIT_OPTIONS, ...options };
  const sorted = sortByTime(records);
  if (sorted.length === 0) throw new Error("the history is empty");
  const now = o.now ?? sorted[sorted.length - 1]!.time;
  const walk = walkHistory(sorted, o.history, now);
  const at = (f: number) => Math.max(0, Math.min(sorted.length, Math.floor(sorted.length * f)));
  const folds = (o.calibrationFolds.length > 0 ? o.calibrationFolds : [1 - o.calibrationFraction]).map((f) => ({
    from: at(f),
    to: at(f + o.calibrationFraction),
  }));

  const scoreRange = (model: SuppressorModel, from: number, to: number) =>
    sorted.slice(from, to).flatMap((r, k) => {
      const i = from + k;
      if (walk.labels[i] === undefined) return [];
      // The label as known now stands in for the answer the watch would have seen.
      const seen: AlertRecord = { ...r, action: walk.labels[i] === 1 ? "acted" : "ignored", action_time: r.action_time ?? r.time };
      return [
        {
          index: i,
          score: predict(model, walk.rows[i]!),
          acted: walk.labels[i] === 1,
          decidable: modelDecides(r, walk.feedbackCounts[i]!, o.policy),
          explored: explorationDraw(r, o.policy.seedKey) < o.policy.exploreRate,
          weight: feedbackWeight(r),
          key: typeModelKey(r),
          record: seen,
        },
      ];
    });
  const outcomes = (scored: ScoredAlert[], threshold: number) =>
    tally(scored.map((s) => ({ acted: s.acted, surfaced: !s.decidable || s.score >= threshold })));

  const typeBound: TypeBound = { floor: o.typeRecallFloor, allowance: o.typeMissAllowance };
  let threshold = o.threshold;
  let calibration: Figures | undefined;
  let foldThresholds = [...o.previousFoldThresholds];
  if (threshold === undefined) {
    const pooled: Array<ScoredAlert & { record: AlertRecord; index: number }> = [];
    const perFold: number[] = [];
    let lastError: Error | undefined;
    for (const fold of folds) {
      // A fold too early to hold both kinds of feedback is skipped; the others still vote.
      let early: ReturnType<typeof fitRows>;
      try {
        early = fitRows(walk, 0, fold.from, o);
      } catch (err) {
        lastError = err as Error;
        continue;
      }
      const scored = scoreRange(early.model, fold.from, fold.to);
      const watched = o.thresholdRule === "margin" ? watchedFold(scored, o, typeBound) : undefined;
      perFold.push(watched?.threshold ?? foldThreshold(scored, o.targetRecall, typeBound, o.disagreement).threshold);
      pooled.push(...(watched?.alerts ?? scored));
    }
    if (pooled.length === 0) throw lastError ?? new Error("no alert with known feedback to choose the threshold on");
    if (o.thresholdRule === "margin") {
      // The folds overlap: an alert scored by k folds counts 1/k in each, so the pool counts each alert once.
      const coverage = new Map<number, number>();
      for (const s of pooled) coverage.set(s.index, (coverage.get(s.index) ?? 0) + 1);
      const once = pooled.map((s) => ({ ...s, weight: s.weight / coverage.get(s.index)! }));
      const own = chooseThresholdWithMargin(once, aimedRecall(o), o.marginZ, typeBound);
      foldThresholds = [...o.previousFoldThresholds, own].slice(-Math.max(1, o.carriedFoldThresholds));
    } else {
      foldThresholds = [...o.previousFoldThresholds, ...perFold].slice(-Math.max(perFold.length, o.carriedFoldThresholds));
    }
    threshold =
      o.calibrationPooling === "pooled" && o.thresholdRule !== "margin"
        ? chooseThreshold(pooled, o.targetRecall, typeBound)
        : median(foldThresholds);
    calibration = outcomes(pooled, threshold);
  }
  const final = fitRows(walk, 0, sorted.length, o);
  const last = folds[folds.length - 1]!;
  calibration ??= outcomes(scoreRange(final.model, last.from, last.to), threshold);
  return { model: final.model, threshold, trainedOn: { alerts: final.alerts, acted: final.acted }, calibration, foldThresholds };
}

function tally(outcomes: Iterable<{ acted: boolean; surfaced: boolean }>): Figures {
  const c = { alerts: 0, acted: 0, surfaced: 0, actedSurfaced: 0 };
  for (const o of outcomes) {
    c.alerts++;
    if (o.acted) c.acted++;
    if (o.surfaced) c.surfaced++;
    if (o.acted && o.surfaced) c.actedSurfaced++;
  }
  return figures(c);
}

/** Acted / answered per type over the walk's labelled rows in [from, to). */
function typeRates(walk: Walk, from: number, to: number): Map<string, { acted: number; n: number }> {
  const rates = new Map<string, { acted: number; n: number }>();
  for (let i = from; i < to; i++) {
    const y = walk.labels[i];
    if (y === undefined) continue;
    const key = alertType(walk.records[i]!);
    const c = rates.get(key) ?? { acted: 0, n: 0 };
    c.acted += y;
    c.n++;
    rates.set(key, c);
  }
  return rates;
}

/** The baseline's rule, under the same guard rails as the suppressor: suppress a type whose acted rate is below x. */
function baselineSuppresses(r: AlertRecord, rates: Map<string, { acted: number; n: number }>, x: number, minFeedback: number): boolean {
  if (r.severity === "critical" || r.rule_kind === "slo") return false;
  const c = rates.get(alertType(r));
  return c !== undefined && c.n >= minFeedback && c.acted / c.n < x;
}

export function replay(records: readonly AlertRecord[], options: Partial<SuppressorReplayOptions> = {}): ReplayReport {
  const o = { ...DEFAULT_SUPPRESSOR_REPLAY_OPTIONS, ...options };
  const sorted = sortByTime(records);
  const split = Math.floor(sorted.length * (1 - o.testFraction));
  if (split < 1 || split >= sorted.length) throw new Error(`cannot split ${sorted.length} alerts into a training and a test part`);
  const train = sorted.slice(0, split);
  const test = sorted.slice(split);
  const splitTime = test[0]!.time;
  const first = fitSuppressor(train, { ...o, now: splitTime });
  let fitted = first;

  // The baselines' cut-off is chosen like the threshold, on the training part's latest quarter.
  const trainWalk = walkHistory(train, o.history, splitTime);
  const cut = Math.floor(train.length * (1 - o.calibrationFraction));
  const earlyRates = typeRates(trainWalk, 0, cut);
  const tailRecall = (x: number) =>
    tally(
      train
        .slice(cut)
        .flatMap((r, k) =>
          trainWalk.labels[cut + k] === undefined
            ? []
            : [{ acted: isActed(r), surfaced: !baselineSuppresses(r, earlyRates, x, o.policy.minFeedback) }],
        ),
    ).recall;
  const chosenRate = [...o.baselineRates].sort((a, b) => b - a).find((x) => tailRecall(x) >= o.targetRecall) ?? 0;
  const swept = [chosenRate, ...o.baselineRates];
  let rates = typeRates(trainWalk, 0, train.length);

  // Score the later part alert by alert, feeding back what the chosen feedback mode lets through,
  // and retraining on what the system knew by then. The baselines' rates are refreshed at the
  // same times from every answer known (they never hide one of their own).
  const state = new SuppressorHistory(o.history);
  for (const r of train) state.add(r);
  let monitor = new DisagreementMonitor({ ...o.disagreement, unacknowledgedTimeoutMs: o.history.unacknowledgedTimeoutMs });
  const perType = new Map<string, TypeFigures>();
  const known: AlertRecord[] = [...train];
  const reasons = Object.fromEntries(DECISION_REASONS.map((r) => [r, 0])) as Record<DecisionReason, number>;
  const outcomes: Array<{ acted: boolean; surfaced: boolean }> = [];
  const baselineOutcomes = swept.map(() => [] as Array<{ acted: boolean; surfaced: boolean }>);
  let retrains = 0;
  let nextRetrain = o.retrainEveryMs > 0 ? splitTime + o.retrainEveryMs : Infinity;
  for (const [k, r] of test.entries()) {
    if (r.time >= nextRetrain) {
      fitted = fitSuppressor(known, { ...o, now: r.time, previousFoldThresholds: fitted.foldThresholds });
      rates = typeRates(walkHistory(sorted.slice(0, split + k), o.history, r.time), 0, split + k);
      retrains++;
      // Retrained on the answers that disagreed: the watch starts over against the new model's scores.
      monitor = new DisagreementMonitor({ ...o.disagreement, unacknowledgedTimeoutMs: o.history.unacknowledgedTimeoutMs });
      while (nextRetrain <= r.time) nextRetrain += o.retrainEveryMs;
    }
    const score = predict(fitted.model, state.features(r));
    const disagreeing = monitor.disagrees(r, r.time);
    const outcome = decide({
      score,
      alert: r,
      typeFeedbackCount: state.feedbackCount(r),
      threshold: fitted.threshold,
      ...o.policy,
      disagreeing,
    });
    reasons[outcome.reason]++;
    const surfaced = outcome.decision === "surface";
    const key = typeModelKey(r);
    const t = perType.get(key) ?? {
      rule_kind: r.rule_kind,
      metric: r.metric,
      scope: r.scope,
      model: r.model,
      alerts: 0,
      heldBack: 0,
      acted: 0,
      actedMissed: 0,
      disagreement: 0,
    };
    t.alerts++;
    if (!surfaced) t.heldBack++;
    if (isActed(r)) t.acted++;
    if (isActed(r) && !surfaced) t.actedMissed++;
    if (outcome.reason === "disagreement") t.disagreement++;
    perType.set(key, t);
    outcomes.push({ acted: isActed(r), surfaced });
    swept.forEach((x, j) =>
      baselineOutcomes[j]!.push({ acted: isActed(r), surfaced: !baselineSuppresses(r, rates, x, o.policy.minFeedback) }),
    );
    const seen =
      o.feedback === "all"
        ? r
        : !surfaced
          ? { ...r, action: null, action_time: null, suppressed: true }
          : outcome.reason === "explore"
            ? { ...r, surface_probability: o.policy.exploreRate }
            : r;
    state.add(seen);
    monitor.observe(seen, score, fitted.threshold);
    known.push(seen);
  }

  return {
    train: { alerts: train.length, from: train[0]!.time, to: train[train.length - 1]!.time },
    test: { alerts: test.length, from: splitTime, to: test[test.length - 1]!.time },
    fitted: first,
    retrains,
    suppressor: tally(outcomes),
    reasons,
    baselines: [
      { name: "no suppression", figures: tally(test.map((r) => ({ acted: isActed(r), surfaced: true }))) },
      ...swept.map((x, j) => ({
        name: j === 0 ? "acted rate < x (x chosen on training)" : "acted rate < x",
        rate: x,
        figures: tally(baselineOutcomes[j]!),
      })),
    ],
    perType: [...perType.values()].sort(
      (a, b) =>
        b.alerts - a.alerts ||
        `${a.rule_kind}|${a.metric}|${a.scope}|${a.model}`.localeCompare(`${b.rule_kind}|${b.metric}|${b.scope}|${b.model}`),
    ),
  };
}
