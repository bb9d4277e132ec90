-- Full recomputations as durable jobs: after a model's specification, a version's drift
-- reference or its feature rules change, every stored window of it is recomputed in the
-- background, a bounded range of base windows at a time, so that no statement grows with the
-- model's history and a restart resumes where the job stood (cursor_s) instead of starting over
-- or forgetting it. One row per job, replaced on every step (read with FINAL).
--   kind 'metrics': quality metrics of a model (model_version ''), basis = the spec's version;
--   kind 'drift': drift and data quality of one version, basis = its reference and rules.
-- job_id is a hash of kind, model, version and basis, so instances that notice the same change
-- write the same job. from_s / to_s: the event-time span to cover (epoch seconds, base-aligned);
-- cursor_s: windows before it are done. state: 'running', 'done', 'superseded' (a newer basis
-- came before this one finished), or 'failed' (a step failed deterministically; reason says why).
CREATE TABLE IF NOT EXISTS {{db}}.recompute_jobs
(
    job_id String,
    kind LowCardinality(String),
    model_id String,
    model_version String,
    basis String,
    reason String,
    from_s UInt32,
    to_s UInt32,
    cursor_s UInt32,
    windows_done UInt64,
    state LowCardinality(String),
    created_at_ms UInt64,
    updated_at_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_at_ms)
ORDER BY job_id;
