-- 0002: runs keep the source map of their policy (a blob of the same
-- tenant), so that replay rebuilds explain traces with the same condition
-- text and positions. SQLite cannot add a composite foreign key to an
-- existing table; prune and check treat the column as a blob reference.
ALTER TABLE runs ADD COLUMN source_map_digest TEXT;
