/**
 * What a model is, for computing its metrics: declared by its owners, or inferred from its first
 * prediction when nobody declared it. Pure.
 */
import type { Task } from "../../../schemas/models.js";

/** A declared slice key "a × b" is the intersection of segment keys a and b: slices such as "DE × mobile". */
export const CROSS = " × ";

/** The two keys of an intersection, or undefined for a plain key. */
export function splitCross(key: string): [string, string] | undefined {
  const parts = key.split(CROSS);
  return parts.length === 2 && parts[0] && parts[1] ? [parts[0], parts[1]] : undefined;
}

export interface ModelSpec {
  modelId: string;
  task: Task;
  /** Binary: the class `prediction.score` is the probability of. */
  positiveClass: string;
  threshold: number;
  /** Segment keys to slice by; empty: all. */
  sliceKeys: string[];
  declared: boolean;
}

export interface PredictionOutput {
  pred_label: string | null;
  pred_score: number | null;
  pred_class_keys: string[];
  pred_value: number | null;
}

/**
 * The documented inference for an undeclared model, from one prediction:
 * - a `value` → regression;
 * - a `score` → binary, threshold 0.5; the positive class is the predicted `label` of the first
 *   prediction whose score is at least 0.5 (unknown, "", until one comes: see refineInferredSpec);
 * - otherwise (`scores` or only a `label`) → multiclass.
 */
export function inferModelSpec(modelId: string, p: PredictionOutput): ModelSpec {
  const base = { modelId, threshold: 0.5, sliceKeys: [], declared: false };
  if (p.pred_value !== null) return { ...base, task: "regression", positiveClass: "" };
  if (p.pred_score !== null) {
    const positiveClass = p.pred_label !== null && p.pred_score >= 0.5 ? p.pred_label : "";
    return { ...base, task: "binary", positiveClass };
  }
  return { ...base, task: "multiclass", positiveClass: "" };
}

/** An inferred binary spec still waiting for its positive class learns it from this prediction, if it can. */
export function refineInferredSpec(spec: ModelSpec, p: PredictionOutput): ModelSpec | undefined {
  if (spec.declared || spec.task !== "binary" || spec.positiveClass !== "") return undefined;
  if (p.pred_label === null || p.pred_score === null || p.pred_score < spec.threshold) return undefined;
  return { ...spec, positiveClass: p.pred_label };
}

export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return (
    a.modelId === b.modelId &&
    a.task === b.task &&
    a.positiveClass === b.positiveClass &&
    a.threshold === b.threshold &&
    a.declared === b.declared &&
    a.sliceKeys.length === b.sliceKeys.length &&
    a.sliceKeys.every((k, i) => k === b.sliceKeys[i])
  );
}

/** Start (epoch seconds) of the base window holding an event time. */
export function baseWindowStart(eventTimeMs: number, baseSeconds: number): number {
  return Math.floor(eventTimeMs / 1000 / baseSeconds) * baseSeconds;
}
