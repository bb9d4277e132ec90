-- The names behind the class keys of window_label_stats (cityHash64 of a class), one row per model
-- and class, so per-class metrics can be shown by name. Filled by a materialized view from each
-- batch of joined rows as it is inserted: no statement re-reads a window for it, and the table
-- grows with the number of classes, not with the history.
CREATE TABLE IF NOT EXISTS {{db}}.class_names
(
    model_id String,
    class_key UInt64,
    class String
)
ENGINE = ReplacingMergeTree
ORDER BY (model_id, class_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.class_names_mv TO {{db}}.class_names AS
SELECT DISTINCT model_id, cityHash64(c) AS class_key, c AS class
FROM {{db}}.labeled_predictions
ARRAY JOIN arrayConcat([ifNull(label, ''), ifNull(pred_label, '')], pred_class_keys) AS c
WHERE c != '';
