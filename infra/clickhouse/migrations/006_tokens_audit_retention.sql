-- API tokens managed at run time (issue 15, item 8). Only the SHA-256 digest of a token is stored;
-- the token itself is shown once, when it is created. Each change (creation, revocation) is a new
-- version of the row; the gateway reads the latest version of every token on a short timer.
-- `models` empty means every model. Neither table is granted to the analysts' user.
CREATE TABLE IF NOT EXISTS {{db}}.api_tokens
(
    token_id String,
    name String,
    digest String,
    scopes Array(String),
    models Array(String),
    expires_at_ms UInt64,
    created_at_ms UInt64,
    created_by String,
    revoked_at_ms UInt64,
    revoked_by String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_id;

-- When each token was last used, written by the gateways at most once per refresh per token.
CREATE TABLE IF NOT EXISTS {{db}}.api_token_usage
(
    token_id String,
    last_used_ms UInt64
)
ENGINE = ReplacingMergeTree(last_used_ms)
ORDER BY token_id;

-- Every admin action: who (the token's name and id), what, on which models, when. Deliberately
-- not named `model_id`: deleting a model removes its data, not the record that it was deleted.
CREATE TABLE IF NOT EXISTS {{db}}.audit_log
(
    at_ms UInt64,
    actor String,
    actor_token_id String,
    action String,
    target String,
    model_ids Array(String),
    detail String
)
ENGINE = MergeTree
ORDER BY (at_ms, action);

-- Which retention (days, 0 = forever) was last applied to each table, so that startup only alters
-- a table's TTL when the configured retention changed.
CREATE TABLE IF NOT EXISTS {{db}}.retention_applied
(
    table_name String,
    days UInt32,
    applied_at_ms UInt64
)
ENGINE = ReplacingMergeTree(applied_at_ms)
ORDER BY table_name;
