/**
 * Joining a label to its prediction, whatever the order they arrive in. Pure: the processor looks
 * the other side up in ClickHouse after its own rows are durable, so whichever of the two comes
 * second finds the first, and hands both here.
 *
 * Rules (documented in the README):
 * - a label joins when labeled_at − prediction time ≤ the horizon (default 30 days); later ones are
 *   kept in the raw table and counted, but do not change metrics;
 * - among several labels for one prediction, the latest labeled_at wins; equal times are broken by
 *   source, then label, then value (strings compared by UTF-16 code units, values as numbers, a
 *   missing one first): a total order, so the winner never depends on arrival order or replay.
 *   Only the winner among every label known for the prediction is written, with
 *   `label_version` = labeled_at_ms · 1024 + its rank among the labels of that same millisecond;
 *   ReplacingMergeTree keeps the highest. Known labels only grow, so a later write's winner always
 *   carries a version at least as high as any earlier one (see `winners`).
 * - a label may name a request (`request_id`) instead of, or besides, a prediction: it is then an
 *   observation of every prediction that carries that request id (each variant of a shadow or
 *   canary deployment), whichever arrives first, and competes with their own labels by the same
 *   order. A label naming only a prediction stays that prediction's: it says nothing about the
 *   variants that the label team did not name.
 */
import { dateTime64, type PredictionRow } from "./event-rows.js";

/** What the join needs of a prediction: a raw row, or the same columns read back from ClickHouse. */
export type JoinablePrediction = Pick<
  PredictionRow,
  | "prediction_id"
  | "model_id"
  | "model_version"
  | "stage"
  | "event_time_ms"
  | "pred_label"
  | "pred_score"
  | "pred_class_keys"
  | "pred_class_scores"
  | "pred_value"
  | "exp_abs_err"
  | "exp_sq_err"
  | "segment_keys"
  | "segment_values"
  | "request_id"
>;

export interface JoinableLabel {
  /** '' for a label of a whole request. */
  prediction_id: string;
  model_id: string;
  /** The request whose every variant this label is for; '' for none. */
  request_id: string;
  label: string | null;
  value: number | null;
  labeled_at_ms: number;
  source: string;
}

export interface JoinedRow extends JoinablePrediction {
  label: string | null;
  value: number | null;
  labeled_at_ms: number;
  source: string;
  delay_ms: number;
  label_version: number;
}

/** The stored form of a joined row (labeled_predictions): times as DateTime64(3). */
export function joinedRecord(row: JoinedRow): object {
  const { event_time_ms, labeled_at_ms, ...rest } = row;
  return { ...rest, event_time: dateTime64(event_time_ms), labeled_at: dateTime64(labeled_at_ms) };
}

export const pairKey = (modelId: string, predictionId: string) => `${modelId}\u0000${predictionId}`;

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const nullsFirst = <T>(a: T | null, b: T | null, cmp: (x: T, y: T) => number) =>
  a === null ? (b === null ? 0 : -1) : b === null ? 1 : cmp(a, b);

/** The total order of label observations: the greatest wins. 0 only for identical observations. */
export function compareLabels(a: JoinableLabel, b: JoinableLabel): number {
  return (
    a.labeled_at_ms - b.labeled_at_ms ||
    byCodeUnits(a.source, b.source) ||
    nullsFirst(a.label, b.label, byCodeUnits) ||
    nullsFirst(a.value, b.value, (x, y) => x - y)
  );
}

/** Ties at one millisecond beyond this many share the top rank (their order is still total in `winners`). */
export const TIE_RANKS = 1024;

/**
 * The version of the winner among `known` (all observations of one prediction, duplicates
 * allowed): its labeled_at, then its rank among the distinct observations of that millisecond.
 * Fits in 2^53 until the year 2248.
 */
export function labelVersion(winner: JoinableLabel, known: readonly JoinableLabel[] = [winner]): number {
  const tied = known.filter((l) => l.labeled_at_ms === winner.labeled_at_ms && compareLabels(l, winner) < 0);
  const distinctBelow = new Set(tied.map((l) => JSON.stringify([l.source, l.label, l.value]))).size;
  return winner.labeled_at_ms * TIE_RANKS + Math.min(distinctBelow, TIE_RANKS - 1);
}

export type JoinOutcome = { joined: JoinedRow } | { beyondHorizon: true };

export function join(p: JoinablePrediction, l: JoinableLabel, horizonMs: number): JoinOutcome {
  const delay = l.labeled_at_ms - p.event_time_ms;
  if (delay > horizonMs) return { beyondHorizon: true };
  return {
    joined: {
      prediction_id: p.prediction_id,
      model_id: p.model_id,
      model_version: p.model_version,
      stage: p.stage,
      event_time_ms: p.event_time_ms,
      pred_label: p.pred_label,
      pred_score: p.pred_score,
      pred_class_keys: p.pred_class_keys,
      pred_class_scores: p.pred_class_scores,
      pred_value: p.pred_value,
      exp_abs_err: p.exp_abs_err ?? null,
      exp_sq_err: p.exp_sq_err ?? null,
      segment_keys: p.segment_keys,
      segment_values: p.segment_values,
      request_id: p.request_id,
      label: l.label,
      value: l.value,
      labeled_at_ms: l.labeled_at_ms,
      source: l.source,
      delay_ms: delay,
      label_version: labelVersion(l),
    },
  };
}

/** The predictions among `byKey` / `byRequest` that a label is an observation of: its own, and its request's. */
function targetsOf(
  l: JoinableLabel,
  byKey: Map<string, JoinablePrediction>,
  byRequest: Map<string, JoinablePrediction[]>,
): JoinablePrediction[] {
  const own = l.prediction_id === "" ? undefined : byKey.get(pairKey(l.model_id, l.prediction_id));
  const variants = l.request_id === "" ? [] : (byRequest.get(pairKey(l.model_id, l.request_id)) ?? []);
  const out = own ? [own] : [];
  for (const p of variants) if (p !== own) out.push(p);
  return out;
}

/**
 * Joins each prediction with the winner among its labels within the horizon (a request's label is
 * one of each of its variants'). `labels` are counted (too late: once per prediction they would have
 * joined); `alsoKnown` are other stored observations of the same predictions, which take part in
 * choosing the winner (and its version) but are not counted again. Unmatched labels are skipped.
 * One row per prediction.
 */
export function joinAll(
  predictions: JoinablePrediction[],
  labels: JoinableLabel[],
  horizonMs: number,
  alsoKnown: JoinableLabel[] = [],
): { joined: JoinedRow[]; beyondHorizon: number } {
  const byKey = new Map(predictions.map((p) => [pairKey(p.model_id, p.prediction_id), p]));
  const byRequest = new Map<string, JoinablePrediction[]>();
  for (const p of byKey.values()) {
    if (p.request_id === "") continue;
    const k = pairKey(p.model_id, p.request_id);
    const list = byRequest.get(k);
    if (list) list.push(p);
    else byRequest.set(k, [p]);
  }
  const candidates = new Map<string, JoinableLabel[]>();
  let beyondHorizon = 0;
  const consider = (l: JoinableLabel, counted: boolean) => {
    for (const p of targetsOf(l, byKey, byRequest)) {
      if (l.labeled_at_ms - p.event_time_ms > horizonMs) {
        if (counted) beyondHorizon++;
        continue;
      }
      const key = pairKey(p.model_id, p.prediction_id);
      const list = candidates.get(key);
      if (list) list.push(l);
      else candidates.set(key, [l]);
    }
  };
  for (const l of labels) consider(l, true);
  for (const l of alsoKnown) consider(l, false);
  const joined: JoinedRow[] = [];
  for (const [key, known] of candidates) {
    const winner = known.reduce((best, l) => (compareLabels(l, best) > 0 ? l : best));
    const outcome = join(byKey.get(key)!, winner, horizonMs);
    if ("joined" in outcome) joined.push({ ...outcome.joined, label_version: labelVersion(winner, known) });
  }
  return { joined, beyondHorizon };
}
