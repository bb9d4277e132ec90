/**
 * Where the suppressor's history and models live. The CLI and the evaluator reach storage only
 * through this interface (the ClickHouse implementation sits with the alert tables), so training
 * and replays also work from a JSON Lines file with no store at all.
 */
import type { AlertRecord, Figures } from "../../common/domain/suppressor/types.js";

export interface SavedModel {
  /** e.g. "gbt-20260415T0930-1a2b3c4d": algorithm, training time (UTC, minutes), 8 hex of the model's hash. */
  version: string;
  /** "logistic" | "boosted_trees" for trained models, "imported" for a team's own. */
  algorithm: string;
  /** Surface when the predicted chance of action is at or above this. */
  threshold: number;
  featureNames: readonly string[];
  trainedAt: number;
  /** The ONNX model. */
  bytes: Uint8Array;
  /** Held-out figures from training (absent for imported models). */
  report?: Figures;
  counts?: { alerts: number; labelled: number; acted: number };
  /** The thresholds `threshold` is the median of (earlier trainings' and this one's), oldest first: the next training carries them over. */
  foldThresholds?: number[];
}

export interface SuppressorStore {
  /** Every alert with its feedback so far, any order. */
  loadHistory(): Promise<AlertRecord[]>;
  saveModel(model: SavedModel): Promise<void>;
  latestModel(): Promise<SavedModel | undefined>;
}
