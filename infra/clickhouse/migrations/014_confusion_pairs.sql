-- The confusion matrix of multi-class models over time: per window and slice, how many labelled
-- predictions had each (true class, predicted class) pair. A pair's key packs the low 32 bits of
-- the two classes' keys (cityHash64 of each, as in class_keys): truth in the high half, the
-- prediction in the low half; class_names gives the names back.
ALTER TABLE {{db}}.window_label_stats
    ADD COLUMN IF NOT EXISTS pair_keys Array(UInt64) AFTER class_fn,
    ADD COLUMN IF NOT EXISTS pair_counts Array(UInt64) AFTER pair_keys;
