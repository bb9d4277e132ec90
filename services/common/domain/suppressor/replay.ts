/**
 * Fitting the suppressor on a feedback history, choosing its threshold, and replaying a history in
 * time order: train on the earlier part, score the later part alert by alert as the evaluator
 * would, and count what was held back and which acted-on alerts that cost. The same replay scores
 * the simple baselines (no suppression; suppress types within a model whose acted rate is below x).
 *
 * The threshold is always chosen on training data, on rolling validation folds: for each fold a
 * model is fitted on the first part of the training history (55%, 65%, 75% by default) and scores
 * the next quarter. How the threshold follows from the folds is `thresholdRule` (threshold.ts):
 * "margin", the default, chooses one threshold on the folds' alerts pooled, with a bound for
 * chance; "median", the earlier rule, takes the median of the folds' own thresholds, each keeping
 * exactly `targetRecall`. The model is then refitted on the whole training history. A retraining
 * takes the median of its threshold(s) and the previous trainings' (the latest
 * `carriedFoldThresholds` in all), so one unlucky quarter does not swing the threshold each time.
 *
 * On each fold, no type within a model may lose more than 1 − `typeRecallFloor` of its acted-on
 * alerts (once it has missed `typeMissAllowance`), and the disagreement watch runs as in production,
 * so a type whose behaviour changed inside the fold is surfaced rather than setting the threshold.
 *
 * Under the margin rule, the pooled fold alerts also give each type within a model a factor its
 * scores are multiplied by (type-calibration.ts): how much more or less often its low-scored alerts
 * were acted on than their scores said, smoothed type within model → type → rule kind. The
 * threshold is chosen on the multiplied scores, and the policy judges live scores multiplied alike:
 * in effect a threshold per type, learned where the type has answers and inherited where it has not.
 *
 * The replay retrains every `retrainEveryMs` on what the system knew by then, as the evaluator
 * retrains in production, and the watch starts over with each new model.
 */
import { DEFAULT_DISAGREEMENT, DisagreementMonitor, type DisagreementOptions } from "./disagreement.js";
import { SuppressorHistory, feedbackWeight, typeModelKey, type HistoryOptions, DEFAULT_HISTORY_OPTIONS } from "./features.js";
import { fitModel, predict, type ModelOptions, type SuppressorModel } from "./model.js";
import { decide, explorationDraw, fnv1a } from "./policy.js";
import { calibrated, typeFactors, type TypeFactors } from "./type-calibration.js";
import {
  aimedRecall,
  chooseThreshold,
  chooseThresholdWithMargin,
  foldThreshold,
  watchedFold,
  type MarginSettings,
  type ScoredAlert,
  type TypeBound,
} from "./threshold.js";
import {
  DEFAULT_POLICY,
  DECISION_REASONS,
  figures,
  isActed,
  type AlertRecord,
  type DecisionReason,
  type Figures,
  type PolicySettings,
} from "./types.js";

export interface FitOptions extends ModelOptions, MarginSettings {
  history: HistoryOptions;
  policy: PolicySettings;
  /** Share of the training history (its latest part) held out to choose the threshold. */
  calibrationFraction: number;
  /**
   * Rolling validation folds the threshold is chosen on: for each f, a model fitted on the first f
   * of the training history scores the next `calibrationFraction` of it. The folds' scores are
   * pooled and one threshold chosen on them all, so it rests on several periods rather than one.
   * Empty: one fold, fitted on the first 1 − calibrationFraction.
   */
  calibrationFolds: number[];
  /**
   * "margin": one threshold on the folds' alerts pooled, with a bound for chance (`marginZ`) and
   * aimed at (1 − targetRecall) / `foldOptimism` missed; "median": the median of fold thresholds.
   */
  thresholdRule: "margin" | "median";
  /** Under the median rule: "pooled", one threshold on the folds' scores together; "median", the median of each fold's own. */
  calibrationPooling: "pooled" | "median";
  /** Recall of acted-on alerts the threshold must keep on that held-out tail. */
  targetRecall: number;
  /** Use this threshold instead of choosing one. */
  threshold?: number;
  /** Fold thresholds of earlier trainings, oldest first (FittedSuppressor.foldThresholds of the last one). */
  previousFoldThresholds: readonly number[];
  /** How many fold thresholds, the newest, the median is taken over: this training's and carried ones. */
  carriedFoldThresholds: number;
  /** Feedback known at this time counts (default: the last alert's time). */
  now?: number;
  /**
   * Half-life of a training answer's weight by its age at training time (default 45 days): after a
   * change in behaviour the new answers outweigh the old sooner. 0 or Infinity: every answer alike.
   */
  recencyHalfLifeMs: number;
  /**
   * Lowest recall of acted-on alerts the threshold may leave any one type within a model on the
   * validation folds (default 0.9), once that type has missed `typeMissAllowance` of them.
   */
  typeRecallFloor: number;
  typeMissAllowance: number;
  /**
   * Keep at most this many not-acted answers per acted one when fitting (default 3; 0 keeps all):
   * each kept one then counts 1/(its keep rate) times, so the fit is unbiased and several times
   * quicker when few alerts are acted on. Which ones are kept is a hash of the alert, not a draw.
   */
  negativesPerPositive: number;
  /** The watch on types whose answers disagree with their scores, also applied on the validation folds. */
  disagreement: DisagreementOptions;
  /**
   * Per-type factors on the scores (type-calibration.ts), learned on the validation folds' alerts
   * scored below `calibrationSpan` times the threshold the folds choose without them; 0: none.
   */
  calibrationSpan: number;
  /** Pseudo-count of the factors' hierarchical smoothing, in expected acted-on alerts. */
  calibrationStrength: number;
  calibrationFloor: number;
  calibrationBound: number;
}

export interface ReplayOptions extends FitOptions {
  /** Share of the history (its latest part, by time) scored; the rest trains. */
  testFraction: number;
  /**
   * "surfaced": while scoring, only surfaced alerts report their action back (a suppressed one
   * was never seen), as it would be with the suppressor switched on. "all": every action is fed
   * back, as in a team's shadow-mode history.
   */
  feedback: "surfaced" | "all";
  /** Acted-rate cut-offs x swept for the "suppress types within a model with acted rate below x" baseline. */
  baselineRates: number[];
  /**
   * Retrain the suppressor (and refresh the baselines' acted rates) this often while scoring, on
   * what was known by then; 0 trains once. Production retrains daily; a week keeps a replay quick.
   */
  retrainEveryMs: number;
}

export const DEFAULT_FIT_OPTIONS: FitOptions = {
  history: DEFAULT_HISTORY_OPTIONS,
  policy: DEFAULT_POLICY,
  algorithm: "boosted_trees",
  logistic: {},
  // 100 trees at a rate of 0.15 rank as well as 150 at 0.1 on the design families, a third quicker.
  trees: { trees: 100, learningRate: 0.15 },
  calibrationFraction: 0.25,
  calibrationFolds: [0.55, 0.65, 0.75],
  thresholdRule: "margin",
  marginZ: 0.5,
  // The live weeks missed about twice the folds' share on the design families.
  foldOptimism: 2,
  calibrationPooling: "median",
  targetRecall: 0.99,
  previousFoldThresholds: [],
  // The median rule was designed with 9 (three trainings of three folds).
  carriedFoldThresholds: 3,
  recencyHalfLifeMs: 45 * 86_400_000,
  typeRecallFloor: 0.9,
  typeMissAllowance: 2,
  negativesPerPositive: 3,
  disagreement: DEFAULT_DISAGREEMENT,
  calibrationSpan: 4,
  calibrationStrength: 10,
  calibrationFloor: 1 / 3,
  calibrationBound: 3,
};

export const DEFAULT_REPLAY_OPTIONS: ReplayOptions = {
  ...DEFAULT_FIT_OPTIONS,
  testFraction: 0.2,
  feedback: "surfaced",
  baselineRates: [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3],
  retrainEveryMs: 7 * 86_400_000,
};

/** Share of the training part (its latest) the acted-rate baseline chooses its cut-off on, as the raw-field baseline does. */
const BASELINE_TAIL = 0.25;

/** Records sorted by time; equal times keep their input order. */
export const sortByTime = (records: readonly AlertRecord[]): AlertRecord[] =>
  records
    .map((r, i) => [r, i] as const)
    .sort((a, b) => a[0].time - b[0].time || a[1] - b[1])
    .map(([r]) => r);

/** 1 acted, 0 answered otherwise (or timed out unanswered), undefined when not known at `now`. */
export function labelAt(record: AlertRecord, now: number, timeoutMs: number): 0 | 1 | undefined {
  if (record.action != null) return (record.action_time ?? record.time) <= now ? (isActed(record) ? 1 : 0) : undefined;
  if (record.suppressed) return undefined;
  return record.time + timeoutMs <= now ? 0 : undefined;
}

/** Every record's features and feedback count as known when it fired, and its label as known at `now`. */
export interface Walk {
  records: AlertRecord[];
  rows: Float32Array[];
  feedbackCounts: number[];
  labels: Array<0 | 1 | undefined>;
}

export function walkHistory(sorted: AlertRecord[], history: HistoryOptions, now: number): Walk {
  const state = new SuppressorHistory(history);
  const walk: Walk = { records: sorted, rows: [], feedbackCounts: [], labels: [] };
  for (const r of sorted) {
    walk.rows.push(state.features(r));
    walk.feedbackCounts.push(state.feedbackCount(r));
    walk.labels.push(labelAt(r, now, history.unacknowledgedTimeoutMs));
    state.add(r);
  }
  return walk;
}

export interface FittedSuppressor {
  model: SuppressorModel;
  threshold: number;
  /** Labelled alerts the final model was fitted on, and how many of them were acted on. */
  trainedOn: { alerts: number; acted: number };
  /** How the chosen threshold did on the validation folds of the training history, pooled (no exploration). */
  calibration: Figures;
  /** The fold thresholds the median was taken over, oldest first: what the next training carries over. */
  foldThresholds: number[];
  /** Per-type factors the model's scores are multiplied by before the threshold (type-calibration.ts). */
  typeFactors: TypeFactors;
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

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

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

export function fitSuppressor(records: readonly AlertRecord[], options: Partial<FitOptions> = {}): FittedSuppressor {
  const o = { ...DEFAULT_FIT_OPTIONS, ...options };
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
  let factors: TypeFactors = {};
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
      if (o.thresholdRule === "margin") pooled.push(...watchedFold(scored, o, typeBound).alerts);
      else {
        perFold.push(foldThreshold(scored, o.targetRecall, typeBound, o.disagreement).threshold);
        pooled.push(...scored);
      }
    }
    if (pooled.length === 0) throw lastError ?? new Error("no alert with known feedback to choose the threshold on");
    if (o.thresholdRule === "margin") {
      // The folds overlap: an alert scored by k folds counts 1/k in each, so the pool counts each alert once.
      const coverage = new Map<number, number>();
      for (const s of pooled) coverage.set(s.index, (coverage.get(s.index) ?? 0) + 1);
      let once = pooled.map((s) => ({ ...s, weight: s.weight / coverage.get(s.index)! }));
      if (o.calibrationSpan > 0) {
        const plain = chooseThresholdWithMargin(once, aimedRecall(o), o.marginZ, typeBound);
        factors = typeFactors(once, {
          below: plain * o.calibrationSpan,
          strength: o.calibrationStrength,
          floor: o.calibrationFloor,
          bound: o.calibrationBound,
        });
        once = once.map((s) => ({ ...s, score: calibrated(s.score, factors, s.record) }));
      }
      const own = chooseThresholdWithMargin(once, aimedRecall(o), o.marginZ, typeBound);
      foldThresholds = [...o.previousFoldThresholds, own].slice(-Math.max(1, o.carriedFoldThresholds));
    } else {
      foldThresholds = [...o.previousFoldThresholds, ...perFold].slice(-Math.max(perFold.length, o.carriedFoldThresholds));
    }
    threshold =
      o.calibrationPooling === "pooled" && o.thresholdRule !== "margin"
        ? chooseThreshold(pooled, o.targetRecall, typeBound)
        : median(foldThresholds);
    calibration = outcomes(
      pooled.map((s) => ({ ...s, score: calibrated(s.score, factors, s.record) })),
      threshold,
    );
  }
  const final = fitRows(walk, 0, sorted.length, o);
  const last = folds[folds.length - 1]!;
  calibration ??= outcomes(scoreRange(final.model, last.from, last.to), threshold);
  return {
    model: final.model,
    threshold,
    trainedOn: { alerts: final.alerts, acted: final.acted },
    calibration,
    foldThresholds,
    typeFactors: factors,
  };
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

export interface BaselineResult {
  name: string;
  /** The acted-rate cut-off, for the acted-rate baselines. */
  rate?: number;
  figures: Figures;
}

export interface ReplayReport {
  train: { alerts: number; from: number; to: number };
  test: { alerts: number; from: number; to: number };
  /** The suppressor fitted on the training part (later retrainings replace it while scoring). */
  fitted: FittedSuppressor;
  /** How many times it was retrained while scoring. */
  retrains: number;
  suppressor: Figures;
  reasons: Record<DecisionReason, number>;
  /** "no suppression", the acted-rate cut-off chosen on training data, then the swept cut-offs. */
  baselines: BaselineResult[];
  /** Shadow mode per type within a model (rule kind, metric, scope, model), busiest first. */
  perType: TypeFigures[];
  /**
   * The score each scored alert got from the model active when it fired, in time order: what the
   * scores alone could have held back with a threshold chosen in hindsight, apart from the threshold.
   */
  scores: number[];
}

/** What the suppressor would have done to one type within a model over the scored part. */
export interface TypeFigures {
  rule_kind: string;
  metric: string;
  scope: string;
  model: string;
  alerts: number;
  heldBack: number;
  acted: number;
  /** Acted-on alerts that were held back. */
  actedMissed: number;
  /** Alerts surfaced because the type's answers disagreed with its scores. */
  disagreement: number;
}

/**
 * Acted / answered per type within a model over the walk's labelled rows in [from, to). The
 * baseline's grain is the type within a model: pooled across models, a type that matters on one
 * model and is noise on another has one middling rate, and no cut-off suppresses either.
 */
function typeRates(walk: Walk, from: number, to: number): Map<string, { acted: number; n: number }> {
  const rates = new Map<string, { acted: number; n: number }>();
  for (let i = from; i < to; i++) {
    const y = walk.labels[i];
    if (y === undefined) continue;
    const key = typeModelKey(walk.records[i]!);
    const c = rates.get(key) ?? { acted: 0, n: 0 };
    c.acted += y;
    c.n++;
    rates.set(key, c);
  }
  return rates;
}

/** The acted rate the baseline judges an alert by, or undefined when its type within its model has too few answers. */
function baselineRate(r: AlertRecord, rates: Map<string, { acted: number; n: number }>, minFeedback: number): number | undefined {
  const c = rates.get(typeModelKey(r));
  return c !== undefined && c.n >= minFeedback ? c.acted / c.n : undefined;
}

/** The baseline's rule, under the same guard rails as the suppressor: suppress a type within a model whose acted rate is below x. */
function baselineSuppresses(r: AlertRecord, rates: Map<string, { acted: number; n: number }>, x: number, minFeedback: number): boolean {
  if (r.severity === "critical" || r.rule_kind === "slo") return false;
  const rate = baselineRate(r, rates, minFeedback);
  return rate !== undefined && rate < x;
}

export function replay(records: readonly AlertRecord[], options: Partial<ReplayOptions> = {}): ReplayReport {
  const o = { ...DEFAULT_REPLAY_OPTIONS, ...options };
  const sorted = sortByTime(records);
  const split = Math.floor(sorted.length * (1 - o.testFraction));
  if (split < 1 || split >= sorted.length) throw new Error(`cannot split ${sorted.length} alerts into a training and a test part`);
  const train = sorted.slice(0, split);
  const test = sorted.slice(split);
  const splitTime = test[0]!.time;
  const first = fitSuppressor(train, { ...o, now: splitTime });
  let fitted = first;

  // The baseline's cut-off is chosen on training data only: the rates of the training part's
  // earlier three quarters score its latest quarter, and the cut-off is the highest rate that keeps
  // the target recall there (any rate, not only the swept ones, so it is never stuck at nothing).
  const trainWalk = walkHistory(train, o.history, splitTime);
  const cut = Math.floor(train.length * (1 - BASELINE_TAIL));
  const earlyRates = typeRates(trainWalk, 0, cut);
  const tail = train.slice(cut).flatMap((r, k) => {
    if (trainWalk.labels[cut + k] === undefined) return [];
    const rate = baselineRate(r, earlyRates, o.policy.minFeedback);
    const guarded = r.severity === "critical" || r.rule_kind === "slo";
    return [{ score: rate ?? 1, acted: isActed(r), decidable: !guarded && rate !== undefined, weight: 1 }];
  });
  const chosenRate = tail.length === 0 ? 0 : chooseThreshold(tail, o.targetRecall);
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
  const scores: number[] = [];
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
    const score = calibrated(predict(fitted.model, state.features(r)), fitted.typeFactors, r);
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
    scores.push(score);
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
    scores,
    perType: [...perType.values()].sort(
      (a, b) =>
        b.alerts - a.alerts ||
        `${a.rule_kind}|${a.metric}|${a.scope}|${a.model}`.localeCompare(`${b.rule_kind}|${b.metric}|${b.scope}|${b.model}`),
    ),
  };
}

/**
 * The fair comparison: the most an acted-rate cut-off (any x swept, even one picked with hindsight
 * on the test part) suppresses while keeping at least the suppressor's recall.
 */
export function bestBaselineAtRecall(report: ReplayReport): BaselineResult | undefined {
  return report.baselines
    .filter((b) => b.rate !== undefined && b.figures.recall >= report.suppressor.recall)
    .sort((a, b) => b.figures.suppressedShare - a.figures.suppressedShare)[0];
}
