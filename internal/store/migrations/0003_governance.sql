-- 0003: governance (docs/governance.md). Additive only: the lifecycle state
-- of each policy version, every signed governance statement, approval
-- attachments and exceptions. The signed statements are the record; the
-- state columns are what they add up to, kept for queries. Every statement
-- is also referenced (by digest) from the audit event that recorded it, so
-- `stella audit verify` detects an edited statement or signature.

-- The lifecycle state of a policy version. A version without a row is a
-- draft that was registered outside governance (e.g. by a run of a file).
CREATE TABLE policy_lifecycle (
	tenant     TEXT    NOT NULL,
	policy_id  TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	state      TEXT    NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'active', 'archived')),
	reviewers  TEXT    NOT NULL DEFAULT '[]', -- JSON list of principals asked to review
	updated_at TEXT    NOT NULL,             -- wall clock, RFC 3339 UTC
	updated_by INTEGER NOT NULL,             -- seq of the audit event of the last transition
	PRIMARY KEY (tenant, policy_id, version),
	FOREIGN KEY (tenant, policy_id, version) REFERENCES policy_versions (tenant, policy_id, version)
) STRICT;
-- At most one active version per policy.
CREATE UNIQUE INDEX policy_lifecycle_active ON policy_lifecycle (tenant, policy_id) WHERE state = 'active';

-- Every signed governance statement: a DSSE envelope around an in-toto
-- statement (predicate governance@1) signed by the acting principal's key.
-- digest is the sha256 of the envelope bytes as stored.
CREATE TABLE governance_statements (
	tenant     TEXT    NOT NULL,
	digest     TEXT    NOT NULL,
	seq        INTEGER NOT NULL, -- the audit event that recorded it
	action     TEXT    NOT NULL, -- policy.approved, exception.requested, …
	subject    TEXT    NOT NULL, -- P-n@v or an exception id
	key_id     TEXT    NOT NULL,
	principal  TEXT    NOT NULL,
	public_pem TEXT    NOT NULL, -- the signer's public key; it hashes to key_id
	envelope   BLOB    NOT NULL,
	PRIMARY KEY (tenant, digest)
) STRICT;
CREATE INDEX governance_statements_subject ON governance_statements (tenant, subject, seq);

CREATE TRIGGER governance_statements_no_update BEFORE UPDATE ON governance_statements
BEGIN SELECT RAISE(ABORT, 'governance_statements is append-only'); END;
CREATE TRIGGER governance_statements_no_delete BEFORE DELETE ON governance_statements
BEGIN SELECT RAISE(ABORT, 'governance_statements is append-only'); END;

-- Files attached to approvals (--attach), content-addressed. Kept apart
-- from blobs so that store prune never removes evidence.
CREATE TABLE governance_attachments (
	tenant TEXT    NOT NULL,
	digest TEXT    NOT NULL, -- sha256:<hex> of data
	size   INTEGER NOT NULL,
	data   BLOB    NOT NULL,
	PRIMARY KEY (tenant, digest)
) STRICT;

-- Exceptions (waivers). data is the canonical JSON of the exception as the
-- engine reads it (model.Exception); status mirrors data's status.
CREATE TABLE exceptions (
	tenant       TEXT    NOT NULL,
	exception_id TEXT    NOT NULL, -- EX-n
	status       TEXT    NOT NULL CHECK (status IN ('requested', 'approved', 'revoked')),
	policy_id    TEXT    NOT NULL DEFAULT '', -- '' = every policy; else the one policy it waives for
	expires      TEXT    NOT NULL,            -- RFC 3339 UTC, copied from data for queries
	data         TEXT    NOT NULL,
	created_at   TEXT    NOT NULL,
	updated_at   TEXT    NOT NULL,
	expired_seq  INTEGER NOT NULL DEFAULT 0,  -- the exception.expired audit event, once recorded
	PRIMARY KEY (tenant, exception_id)
) STRICT;
CREATE INDEX exceptions_policy ON exceptions (tenant, policy_id, status);
