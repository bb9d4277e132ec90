-- The names behind the class keys of window_label_stats (cityHash64 of a class): written with each
-- multi-class window's statistics, one row per model and class, so per-class metrics can be shown
-- by name. Its size follows the number of classes, not the history.
CREATE TABLE IF NOT EXISTS {{db}}.class_names
(
    model_id String,
    class_key UInt64,
    class String
)
ENGINE = ReplacingMergeTree
ORDER BY (model_id, class_key);
