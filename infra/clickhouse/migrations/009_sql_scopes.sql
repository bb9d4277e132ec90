-- Model limits in analysts' SQL (issue 15, item 2): before it runs a model-limited token's query as
-- `analyst_scoped`, the gateway writes the token's models here under the query's random id; that
-- user's row filters (users.xml) let the query see only those models' rows. Rows are never read
-- again once their query ends; a day later they expire.
CREATE TABLE IF NOT EXISTS {{db}}.sql_query_models
(
    query_id String,
    model_id String,
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY query_id
TTL created_at + INTERVAL 1 DAY;
