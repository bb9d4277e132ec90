/**
 * The suppressor's model, whichever algorithm fitted it: both predict the chance an alert is
 * acted on from its FEATURE_NAMES vector, and both export to the same ONNX signature.
 */
import { fitBoostedTrees, predictTrees, type BoostedTreesModel, type BoostedTreesOptions } from "./boosted-trees.js";
import { FEATURE_NAMES, type FeatureName } from "./features.js";
import { fitLogistic, predictLogistic, type LogisticModel, type LogisticOptions } from "./logistic.js";

export type SuppressorModel = LogisticModel | BoostedTreesModel;
export const ALGORITHMS = ["logistic", "boosted_trees"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface ModelOptions {
  algorithm: Algorithm;
  logistic: Partial<LogisticOptions>;
  trees: Partial<BoostedTreesOptions>;
}

/** The trees start from these rates' logits, so a type whose acted rate drifts moves its score with it. */
export const TREE_OFFSET_FEATURES: FeatureName[] = [];

export const predict = (model: SuppressorModel, x: ArrayLike<number>): number =>
  model.kind === "logistic" ? predictLogistic(model, x) : predictTrees(model, x);

/** Fits on rows and labels; the trees take per-row weights (logistic regression counts each row once). */
export function fitModel(
  rows: ArrayLike<number>[],
  labels: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
  options: ModelOptions,
): SuppressorModel {
  return options.algorithm === "logistic"
    ? fitLogistic(rows, labels, options.logistic).model
    : fitBoostedTrees(rows, labels, {
        offsetFeatures: TREE_OFFSET_FEATURES.map((name) => FEATURE_NAMES.indexOf(name)),
        ...(weights && { weights }),
        ...options.trees,
      });
}
