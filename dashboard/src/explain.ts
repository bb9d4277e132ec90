/** One line per column a person may not know, shown on hover: what the number is and when it appears. */
export const EXPLANATIONS: Readonly<Record<string, string>> = {
  "Open alerts": "Alerts firing now for this model; critical ones are counted apart.",
  "Accuracy (last settled day)":
    "Share of labelled predictions that were right, in the latest day with at least half of its predictions labelled. Appears once labels arrive.",
  "Estimated (latest hour)":
    "Accuracy expected from the model's own confidence, over every prediction of the latest hour, before any label. Right only when scores are calibrated.",
  "Label coverage (latest day)": "Share of the latest day's predictions that have a label so far; it grows as delayed labels arrive.",
  "Drifted features (24 h)":
    "Features whose distribution differs significantly from the reference in any hour of the last day (reference: an upload, a pinned range, or the version's first predictions).",
  "Predictions per hour, 7 days": "Volume of predictions per hour over the last week.",
  Predictions: "Predictions stored for this version and stage.",
  Labelled: "Predictions with a label so far, and their share.",
  Accuracy: "Share of labelled predictions that were right (realised, from labels).",
  Estimated: "Accuracy expected from the model's confidence, before labels.",
  MAE: "Mean absolute error: how far off a prediction is on average, in the label's units (regression; from labels).",
  RMSE: "Root mean squared error: like MAE, but large misses weigh more; far above MAE means a few predictions are badly off.",
  "Δ vs estimate":
    "Realised minus estimated accuracy: far below zero means the model is more confident than right (drift or miscalibration).",
};

/** A table header cell with its explanation on hover, when there is one. */
export function explained(label: string): { title?: string; class?: string } {
  const title = EXPLANATIONS[label];
  return title ? { title, class: "explained" } : {};
}
