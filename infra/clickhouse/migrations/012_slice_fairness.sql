-- Group fairness per window, for analysts: in binary models, each slice of a key is a group.
-- Rates come from the slice's confusion counts (n = tp + fp + fn + tn, the labelled predictions);
-- each group's selection rate is compared with the most selected group of the same key in the same
-- window, as the four-fifths rule does. GET /v1/models/:id/fairness adds intervals, a chosen
-- reference group and sums over a time range.
CREATE OR REPLACE VIEW {{db}}.slice_fairness AS
SELECT
    model_id, model_version, stage, window_start, window_seconds, slice_key, slice_value,
    tp + fp + fn + tn AS n,
    (tp + fp) / n AS selection_rate,
    if(tp + fn = 0, NULL, tp / (tp + fn)) AS true_positive_rate,
    if(fp + tn = 0, NULL, fp / (fp + tn)) AS false_positive_rate,
    (tp + tn) / n AS accuracy,
    max(selection_rate) OVER (PARTITION BY model_id, model_version, stage, window_seconds, window_start, slice_key) AS max_selection_rate,
    if(max_selection_rate = 0, 1, selection_rate / max_selection_rate) AS selection_rate_ratio,
    selection_rate_ratio >= 0.8 AS passes_four_fifths
FROM {{db}}.slice_metrics
WHERE task = 'binary' AND slice_key != '' AND tp + fp + fn + tn > 0;
