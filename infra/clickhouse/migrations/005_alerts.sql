-- Alerts: versioned rules, alerts with their lifecycle and suppression decision, the
-- notification outbox, on-call feedback, and suppressor model versions.

-- Every applied version of every rule; a rule removed from the file gets a version with deleted = 1.
CREATE TABLE IF NOT EXISTS {{db}}.alert_rules
(
    rule_id String,
    version UInt32,
    spec String,
    deleted UInt8,
    source String,
    applied_at_ms UInt64
)
ENGINE = ReplacingMergeTree(applied_at_ms)
ORDER BY (rule_id, version);

-- Receivers and settings of the applied rules file, versioned the same way.
CREATE TABLE IF NOT EXISTS {{db}}.alert_settings
(
    version UInt32,
    receivers String,
    settings String,
    applied_at_ms UInt64
)
ENGINE = ReplacingMergeTree(applied_at_ms)
ORDER BY version;

-- One row per alert, replaced on every change (read with FINAL). Times of windows are event
-- time (epoch ms); *_wall_ms are when the evaluator saw it.
CREATE TABLE IF NOT EXISTS {{db}}.alerts_state
(
    alert_id String,
    fingerprint String,
    rule_id String,
    rule_version UInt32,
    rule_kind String,
    rule_name String,
    severity String,
    model_id String,
    model_version String,
    stage String,
    slice String,
    metric String,
    feature String,
    window_seconds UInt32,
    started_ms UInt64,
    fired_ms UInt64,
    last_breach_ms UInt64,
    resolved_ms Nullable(UInt64),
    value Float64,
    threshold Float64,
    deviation Float64,
    sample_size UInt64,
    worst_value Float64,
    summary String,
    disposition String,
    parent_id String,
    group_reason String,
    suppress_score Nullable(Float64),
    suppressor_version String,
    suppress_reason String,
    first_seen_wall_ms UInt64,
    updated_wall_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_wall_ms)
ORDER BY alert_id;

-- Notifications owed and their delivery (an outbox): ids are hashes of alert, kind and receiver,
-- so re-evaluation never owes the same one twice.
CREATE TABLE IF NOT EXISTS {{db}}.alert_notifications
(
    notification_id String,
    alert_id String,
    kind String,
    receiver String,
    created_wall_ms UInt64,
    attempts UInt32,
    next_attempt_wall_ms UInt64,
    delivered_wall_ms UInt64,
    last_error String,
    updated_wall_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_wall_ms)
ORDER BY notification_id;

CREATE TABLE IF NOT EXISTS {{db}}.alert_feedback
(
    alert_id String,
    action String,
    comment String,
    source String,
    at_ms UInt64
)
ENGINE = MergeTree
ORDER BY (alert_id, at_ms);

-- The latest judgement of every series a rule watches: why nothing fired (waiting for labels,
-- too few samples, pending its `for`), for the API and the dashboard.
CREATE TABLE IF NOT EXISTS {{db}}.rule_status
(
    rule_id String,
    fingerprint String,
    model_id String,
    model_version String,
    slice String,
    metric String,
    state String,
    reason String,
    window_start_ms UInt64,
    value Nullable(Float64),
    updated_wall_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_wall_ms)
ORDER BY (rule_id, fingerprint);

CREATE TABLE IF NOT EXISTS {{db}}.suppressor_models
(
    version String,
    origin String,
    trained_at_ms UInt64,
    threshold Float64,
    model_base64 String,
    report String
)
ENGINE = ReplacingMergeTree(trained_at_ms)
ORDER BY version;

-- For analysts: one row per alert with its latest feedback (an alert left unacknowledged past
-- the acknowledgement timeout counts as ignored in training; see README).
CREATE VIEW IF NOT EXISTS {{db}}.alerts AS
SELECT alert_id, fingerprint, rule_id, rule_version, rule_kind, rule_name, severity, model_id, model_version, stage,
       slice, metric, feature, window_seconds, started_at, last_breach_at, resolved_at, state,
       value, threshold, deviation, sample_size, summary, disposition, parent_id, group_reason,
       suppress_score, suppressor_version, suppress_reason, first_seen_at, feedback, feedback_at
FROM
(
    SELECT alert_id, fingerprint, rule_id, rule_version, rule_kind, rule_name, severity, model_id, model_version, stage,
           slice, metric, feature, window_seconds,
           toDateTime(intDiv(started_ms, 1000)) AS started_at, toDateTime(intDiv(last_breach_ms, 1000)) AS last_breach_at,
           if(isNull(resolved_ms), NULL, toDateTime(intDiv(assumeNotNull(resolved_ms), 1000))) AS resolved_at,
           if(isNull(resolved_ms), 'firing', 'resolved') AS state,
           value, threshold, deviation, sample_size, summary, disposition, parent_id, group_reason,
           suppress_score, suppressor_version, suppress_reason,
           toDateTime(intDiv(first_seen_wall_ms, 1000)) AS first_seen_at
    FROM {{db}}.alerts_state FINAL
) AS alert_rows
ANY LEFT JOIN
(
    SELECT alert_id, argMax(action, at_ms) AS feedback, toDateTime(intDiv(max(at_ms), 1000)) AS feedback_at
    FROM {{db}}.alert_feedback
    GROUP BY alert_id
) AS latest_feedback
USING (alert_id);
