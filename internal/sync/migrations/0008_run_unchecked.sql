-- 0008: how many components no advisory input could check
-- (docs/runs.md "What a record proves"): the run record's stats.unchecked,
-- NULL for a record made before it was recorded. Like every summary column
-- it is derived from the record; `stella audit verify --dsn` recomputes it.
ALTER TABLE policy.runs ADD COLUMN unchecked integer;
UPDATE policy.runs SET unchecked = (record::jsonb #>> '{stats,unchecked}')::integer
WHERE record::jsonb #> '{stats,unchecked}' IS NOT NULL;
