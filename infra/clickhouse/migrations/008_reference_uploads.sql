-- Reference uploads in parts (issue 15, item 6): a session collects parts into reference_samples
-- under its upload id; completing it profiles the rows and writes drift_references, so a reference
-- is visible only whole. One row per session, replaced as it changes.
CREATE TABLE IF NOT EXISTS {{db}}.reference_uploads
(
    upload_id String,
    model_id String,
    model_version String,
    state Enum8('open' = 0, 'completed' = 1),
    created_at_ms UInt64,
    updated_at_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_at_ms)
ORDER BY upload_id;
