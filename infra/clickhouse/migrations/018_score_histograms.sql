-- Label-free estimates (issue 18): every scored prediction of a binary model, labelled or not, in a
-- score histogram per base window and slice, kept with the window's volume. Same bins as the
-- labelled rows' auc_bins (bin = floor(score × 10,000)), so per bin the predictions without a label
-- are score_counts − auc_pos − auc_neg, and windows of every size are sums of base windows (sumMap).
-- Windows computed before this migration have empty histograms until they are recomputed.
ALTER TABLE {{db}}.window_volume
    ADD COLUMN IF NOT EXISTS score_bins Array(UInt32) AFTER expected_n,
    ADD COLUMN IF NOT EXISTS score_counts Array(UInt64) AFTER score_bins;

-- For analysts: per model, version, stage, window (every configured size) and slice, the score
-- histogram of every scored prediction beside that of the labelled ones. The estimates themselves
-- (GET /v1/models/:id/estimates) need the version's calibration, refitted as labels arrive, so
-- they are computed on read from these histograms rather than stored.
CREATE OR REPLACE VIEW {{db}}.score_histograms AS
SELECT model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value,
       predictions, scored, score_bins, score_counts,
       labeled, labeled_bins, labeled_positives, labeled_negatives
FROM
(
    SELECT model_id, model_version, stage, window_seconds,
           toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
           slice_key, slice_value,
           sum(v_predictions) AS predictions, sum(arraySum(v_score_counts)) AS scored,
           sumMap(v_score_bins, v_score_counts) AS vm, vm.1 AS score_bins, vm.2 AS score_counts
    FROM
    (
        SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
               predictions AS v_predictions, score_bins AS v_score_bins, score_counts AS v_score_counts
        FROM {{db}}.window_volume FINAL
    ) AS base
    CROSS JOIN {{db}}.window_sizes
    GROUP BY model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value
) AS volume
ANY LEFT JOIN
(
    SELECT model_id, model_version, stage, window_seconds,
           toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
           slice_key, slice_value,
           sum(s_labeled) AS labeled,
           sumMap(s_auc_bins, s_auc_pos, s_auc_neg) AS am, am.1 AS labeled_bins, am.2 AS labeled_positives, am.3 AS labeled_negatives
    FROM
    (
        SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
               labeled AS s_labeled, auc_bins AS s_auc_bins, auc_pos AS s_auc_pos, auc_neg AS s_auc_neg
        FROM {{db}}.window_label_stats FINAL
    ) AS base
    CROSS JOIN {{db}}.window_sizes
    GROUP BY model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value
) AS label_stats
USING (model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value);
