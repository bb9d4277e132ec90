-- For analysts: the state of a regression model's label-free MAE and RMSE (migration 020) per model,
-- version, stage, window (every configured size) and slice. Over the predictions stamped with an
-- expected error (`stamped`) the sums of E|e| and E[e²]; the same over the labelled stamped ones;
-- and the realised Σ|e| and Σe² of the labelled predictions. Where every prediction is stamped,
--   MAE estimate = (abs_err_sum + expected_abs_sum − labeled_expected_abs_sum) / predictions
-- (and E[e²] likewise for MSE); GET /v1/models/:id/estimates also estimates unstamped predictions
-- (by the version's or the window's mean error) and gives intervals.
CREATE OR REPLACE VIEW {{db}}.expected_errors AS
SELECT model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value,
       predictions, stamped, expected_abs_sum, expected_sq_sum,
       labeled, labeled_stamped, labeled_expected_abs_sum, labeled_expected_sq_sum, abs_err_sum, sq_err_sum
FROM
(
    SELECT model_id, model_version, stage, window_seconds,
           toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
           slice_key, slice_value,
           sum(v_predictions) AS predictions, sum(v_exp_n) AS stamped,
           sum(v_exp_abs_sum) AS expected_abs_sum, sum(v_exp_sq_sum) AS expected_sq_sum
    FROM
    (
        SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
               predictions AS v_predictions, exp_n AS v_exp_n, exp_abs_sum AS v_exp_abs_sum, exp_sq_sum AS v_exp_sq_sum
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
           sum(s_reg_n) AS labeled, sum(s_exp_n) AS labeled_stamped,
           sum(s_exp_abs_sum) AS labeled_expected_abs_sum, sum(s_exp_sq_sum) AS labeled_expected_sq_sum,
           sum(s_abs_err_sum) AS abs_err_sum, sum(s_sq_err_sum) AS sq_err_sum
    FROM
    (
        SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
               reg_n AS s_reg_n, exp_n AS s_exp_n, exp_abs_sum AS s_exp_abs_sum, exp_sq_sum AS s_exp_sq_sum,
               abs_err_sum AS s_abs_err_sum, sq_err_sum AS s_sq_err_sum
        FROM {{db}}.window_label_stats FINAL
    ) AS base
    CROSS JOIN {{db}}.window_sizes
    GROUP BY model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value
) AS label_stats
USING (model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value);
