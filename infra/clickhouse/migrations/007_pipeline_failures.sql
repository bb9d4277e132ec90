-- What the pipeline could not do and set aside, and where it is stuck: one row per problem,
-- replaced on every change (read with FINAL). A problem is open while resolved_ms = 0.
--   kind 'set_aside': a piece of work (one base window of one step for one model) failed with a
--     deterministic ClickHouse error, even alone; the rest of the pipeline went on without it.
--     It is retried when new events touch that window, and resolved when it succeeds.
--   kind 'stalled': the metrics consumer group has unread messages and has not advanced for a while.
--   kind 'metrics_lag': the metrics consumer group's backlog is above the configured bound.
-- model_id / model_version / window_start are empty (0) where a problem is not about a model.
CREATE TABLE IF NOT EXISTS {{db}}.pipeline_failures
(
    failure_id String,
    kind LowCardinality(String),
    step LowCardinality(String),
    model_id String,
    model_version String,
    window_start DateTime,
    error_code String,
    reason String,
    first_seen_ms UInt64,
    updated_ms UInt64,
    resolved_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY failure_id;
