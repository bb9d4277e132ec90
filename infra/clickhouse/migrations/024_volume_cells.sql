-- Volume in cells, as label statistics are (migration 023): each base window cut into the same
-- cells, each holding the volume, the label-free estimate's sums and the score histogram of its
-- predictions. A prediction recomputes its cell, and its window's row in window_volume is then the
-- sum of the window's cells, so a busy window's volume is no longer counted again from all its rows
-- whenever one more arrives. A window with no cell yet is computed whole the first time.
CREATE TABLE IF NOT EXISTS {{db}}.window_volume_cells
(
    model_id String,
    model_version String,
    stage String,
    window_start DateTime,
    cell_start DateTime,
    slice_key String,
    slice_value String,
    predictions UInt64,
    expected_correct Float64,
    expected_n UInt64,
    score_bins Array(UInt32),
    score_counts Array(UInt64),
    exp_n UInt64,
    exp_abs_sum Float64,
    exp_sq_sum Float64,
    exp_var_sum Float64,
    exp_sq2_sum Float64,
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, window_start, model_version, stage, slice_key, slice_value, cell_start);
