-- Schema ids come from a schema registry when one is configured (HINDSIGHT_SCHEMA_REGISTRY_URL):
-- Confluent's ids are 32-bit and pass 65,535 on busy registries, so the column that records which
-- writer's schema a row was read with widens from UInt16.
ALTER TABLE {{db}}.predictions MODIFY COLUMN schema_id UInt32;
ALTER TABLE {{db}}.labels MODIFY COLUMN schema_id UInt32;
