-- Label statistics in cells: each base window cut into cells of equal length (a thirtieth of a
-- 300 s window: 10 s), each cell holding the same sufficient statistics as window_label_stats for
-- its labelled rows. A label recomputes its cell, a few seconds of rows, and its window's row in
-- window_label_stats is then the sum of the window's cells (y_m2 merged by Chan's formula), so the
-- work a label causes no longer grows with the rows of its window. A window with no cell yet
-- (computed before this migration) is computed whole the first time, cells and all.
CREATE TABLE IF NOT EXISTS {{db}}.window_label_cells
(
    model_id String,
    model_version String,
    stage String,
    window_start DateTime,
    cell_start DateTime,
    slice_key String,
    slice_value String,
    labeled UInt64,
    class_n UInt64,
    correct UInt64,
    tp UInt64,
    fp UInt64,
    fn UInt64,
    tn UInt64,
    class_keys Array(UInt64),
    class_tp Array(UInt64),
    class_fp Array(UInt64),
    class_fn Array(UInt64),
    pair_keys Array(UInt64),
    pair_counts Array(UInt64),
    prob_n UInt64,
    log_loss_sum Float64,
    brier_sum Float64,
    auc_bins Array(UInt32),
    auc_pos Array(UInt64),
    auc_neg Array(UInt64),
    ece_bins Array(UInt8),
    ece_n Array(UInt64),
    ece_conf Array(Float64),
    ece_correct Array(UInt64),
    reg_n UInt64,
    abs_err_sum Float64,
    sq_err_sum Float64,
    ape_sum Float64,
    ape_n UInt64,
    y_sum Float64,
    -- Σ (y − this cell's mean y)² over its regression rows.
    y_m2 Float64,
    exp_n UInt64,
    exp_abs_sum Float64,
    exp_sq_sum Float64,
    exp_var_sum Float64,
    exp_sq2_sum Float64,
    delay_bins Array(UInt16),
    delay_counts Array(UInt64),
    delay_max_ms Int64,
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, window_start, model_version, stage, slice_key, slice_value, cell_start);
