/**
 * Trains the suppressor on a feedback history: reports how it does on the latest part of that
 * history (trained on the earlier part only), then fits the model it will deploy on all of it,
 * exports it to ONNX and names the version after the algorithm, the time and the model's hash.
 * The previous models' thresholds are carried over into the threshold's median (replay.ts in the
 * domain's suppressor folder).
 */
import { createHash } from "node:crypto";
import { FEATURE_NAMES } from "../../common/domain/suppressor/features.js";
import {
  DEFAULT_REPLAY_OPTIONS,
  fitSuppressor,
  labelAt,
  replay,
  sortByTime,
  type ReplayOptions,
  type ReplayReport,
} from "../../common/domain/suppressor/replay.js";
import type { AlertRecord } from "../../common/domain/suppressor/types.js";
import { exportOnnx } from "./onnx-export.js";
import type { SavedModel } from "./store.js";

export interface TrainOptions extends Partial<ReplayOptions> {
  /** The training time (default: now); also the cut-off for feedback not yet known. */
  clock?: () => number;
  /** The active model, whose fold thresholds this training carries over when it is of the same algorithm. */
  previous?: SavedModel;
}

export interface TrainedSuppressor extends SavedModel {
  /** The held-out replay the report comes from; absent when the feedback known at the split is too little to train on. */
  replay?: ReplayReport;
  /** Why there is no held-out replay. */
  heldOutError?: string;
  counts: { alerts: number; labelled: number; acted: number };
  report?: ReplayReport["suppressor"];
}

const ALGORITHM_PREFIX: Record<string, string> = { logistic: "lr", boosted_trees: "gbt" };

export function modelVersion(algorithm: string, trainedAt: number, bytes: Uint8Array): string {
  const stamp = new Date(trainedAt).toISOString().replace(/[-:]/g, "").slice(0, 13);
  return `${ALGORITHM_PREFIX[algorithm] ?? algorithm}-${stamp}-${createHash("sha256").update(bytes).digest("hex").slice(0, 8)}`;
}

export function trainSuppressor(records: readonly AlertRecord[], options: TrainOptions = {}): TrainedSuppressor {
  const o = { ...DEFAULT_REPLAY_OPTIONS, ...options };
  if (options.previous?.foldThresholds && options.previous.algorithm === o.algorithm && options.previousFoldThresholds === undefined) {
    o.previousFoldThresholds = options.previous.foldThresholds;
  }
  const trainedAt = (options.clock ?? Date.now)();
  const sorted = sortByTime(records);
  const now = o.now ?? Math.max(trainedAt, sorted[sorted.length - 1]?.time ?? 0);
  // Feedback given only recently (a new deployment) was not known at the held-out split; the
  // model is still trained on everything known now, only the held-out figures are missing.
  let held: ReplayReport | undefined;
  let heldOutError: string | undefined;
  try {
    // Trained once: a quick held-out check (`evaluate` replays with retraining, as production runs).
    held = replay(sorted, { ...o, retrainEveryMs: 0, previousFoldThresholds: [] });
  } catch (err) {
    if (!/no alert with known feedback|nothing to learn from|cannot split/.test((err as Error).message)) throw err;
    heldOutError = (err as Error).message;
  }
  const fitted = fitSuppressor(sorted, { ...o, now });
  const featureNames = [...FEATURE_NAMES];
  // The version hashes the model without its own name in it, then the name goes in.
  const typeFactors = fitted.typeFactors;
  const unnamed = exportOnnx(fitted.model, { featureNames, threshold: fitted.threshold, version: "", typeFactors });
  const version = modelVersion(fitted.model.kind, trainedAt, unnamed);
  const labels = sorted.map((r) => labelAt(r, now, o.history.unacknowledgedTimeoutMs));
  return {
    version,
    algorithm: fitted.model.kind,
    threshold: fitted.threshold,
    featureNames,
    trainedAt,
    bytes: exportOnnx(fitted.model, { featureNames, threshold: fitted.threshold, version, typeFactors }),
    ...(held ? { replay: held, report: held.suppressor } : { heldOutError }),
    foldThresholds: fitted.foldThresholds,
    counts: { alerts: sorted.length, labelled: labels.filter((y) => y !== undefined).length, acted: labels.filter((y) => y === 1).length },
  };
}
