/**
 * Joining a label to its prediction, whatever the order they arrive in. Pure: the processor looks
 * the other side up in ClickHouse after its own rows are durable, so whichever of the two comes
 * second finds the first, and hands both here.
 *
 * Rules (documented in the README):
 * - a label joins when labeled_at − prediction time ≤ the horizon (default 30 days); later ones are
 *   kept in the raw table and counted, but do not change metrics;
 * - among several labels for one prediction, the latest labeled_at wins; equal times are broken by
 *   a hash of source and label, so the winner never depends on arrival order (ReplacingMergeTree
 *   keeps the row with the highest `label_version`).
 */
import type { PredictionRow } from "./event-rows.js";

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
  | "segment_keys"
  | "segment_values"
>;

export interface JoinableLabel {
  prediction_id: string;
  model_id: string;
  label: string | null;
  value: number | null;
  labeled_at_ms: number;
  source: string;
}

export interface JoinedRow extends JoinablePrediction {
  event_time: number;
  label: string | null;
  value: number | null;
  labeled_at_ms: number;
  source: string;
  delay_ms: number;
  label_version: number;
}

export const pairKey = (modelId: string, predictionId: string) => `${modelId}\u0000${predictionId}`;

/** FNV-1a over UTF-16 code units: a stable tie-breaker, not a security measure. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Orders label observations: later labeled_at first, then the tie-break. Fits in 2^53 until the year 2248. */
export function labelVersion(l: JoinableLabel): number {
  return l.labeled_at_ms * 1024 + (fnv1a(`${l.source}\u0000${l.label ?? ""}\u0000${l.value ?? ""}`) % 1024);
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
      event_time: Math.floor(p.event_time_ms / 1000),
      event_time_ms: p.event_time_ms,
      pred_label: p.pred_label,
      pred_score: p.pred_score,
      pred_class_keys: p.pred_class_keys,
      pred_class_scores: p.pred_class_scores,
      pred_value: p.pred_value,
      segment_keys: p.segment_keys,
      segment_values: p.segment_values,
      label: l.label,
      value: l.value,
      labeled_at_ms: l.labeled_at_ms,
      source: l.source,
      delay_ms: delay,
      label_version: labelVersion(l),
    },
  };
}

/** Joins every label with its prediction (matched by model and id); unmatched labels are skipped. */
export function joinAll(predictions: JoinablePrediction[], labels: JoinableLabel[], horizonMs: number): { joined: JoinedRow[]; beyondHorizon: number } {
  const byKey = new Map(predictions.map((p) => [pairKey(p.model_id, p.prediction_id), p]));
  const joined: JoinedRow[] = [];
  let beyondHorizon = 0;
  for (const l of labels) {
    const p = byKey.get(pairKey(l.model_id, l.prediction_id));
    if (!p) continue;
    const outcome = join(p, l, horizonMs);
    if ("joined" in outcome) joined.push(outcome.joined);
    else beyondHorizon++;
  }
  return { joined, beyondHorizon };
}
