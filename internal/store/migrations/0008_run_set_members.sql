-- 0008: the members of a recorded policy-set run (docs/governance.md
-- "Recording a set"). The run's record lists them (and its signed manifest
-- with it); these rows keep each member's stored IR and source map from
-- being pruned while the run exists, and let history find the runs a
-- policy version took part in.

CREATE TABLE run_set_members (
	tenant            TEXT    NOT NULL,
	run_id            TEXT    NOT NULL,
	position          INTEGER NOT NULL, -- set order, from 0
	policy_id         TEXT    NOT NULL, -- P-n, or the policy's own name for a file
	policy_version    INTEGER,          -- NULL for a policy file
	ir_digest         TEXT    NOT NULL,
	source_map_digest TEXT,
	enforcement       TEXT    NOT NULL,
	PRIMARY KEY (tenant, run_id, position),
	FOREIGN KEY (tenant, run_id) REFERENCES runs (tenant, run_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant, ir_digest) REFERENCES blobs (tenant, digest),
	FOREIGN KEY (tenant, source_map_digest) REFERENCES blobs (tenant, digest)
) STRICT;
CREATE INDEX run_set_members_policy ON run_set_members (tenant, policy_id, policy_version);
