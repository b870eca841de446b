-- 0002: governance (local migration 0003): lifecycle states, signed
-- statements (approvals, reviews, exception decisions), approval
-- attachments and exceptions. Everything here is numbered or recorded by
-- one site (P-n, EX-n, audit seq), so every key includes the site.

CREATE TABLE policy.policy_lifecycle (
	tenant      text        NOT NULL,
	source_site text        NOT NULL,
	policy_id   text        NOT NULL,
	version     integer     NOT NULL,
	state       text        NOT NULL, -- draft, submitted, approved, active, archived
	reviewers   text        NOT NULL, -- JSON list of principals
	updated_at  timestamptz NOT NULL,
	updated_by  bigint      NOT NULL, -- seq of the site's audit event of the last transition
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, policy_id, version)
);
CREATE INDEX policy_lifecycle_state ON policy.policy_lifecycle (tenant, state);

-- Each statement is a DSSE envelope signed by the acting principal; digest
-- is the sha256 of the envelope bytes. Approvals are action 'policy.approved'.
CREATE TABLE policy.governance_statements (
	tenant      text        NOT NULL,
	source_site text        NOT NULL,
	digest      text        NOT NULL,
	seq         bigint      NOT NULL, -- the site's audit event that recorded it
	action      text        NOT NULL,
	subject     text        NOT NULL, -- P-n@v or EX-n
	key_id      text        NOT NULL,
	principal   text        NOT NULL,
	public_pem  text        NOT NULL,
	envelope    bytea       NOT NULL,
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, digest)
);
CREATE INDEX governance_statements_action ON policy.governance_statements (tenant, action, subject);

CREATE TABLE policy.governance_attachments (
	tenant      text        NOT NULL,
	digest      text        NOT NULL,
	source_site text        NOT NULL,
	size        bigint      NOT NULL,
	data        bytea       NOT NULL,
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, digest)
);

CREATE TABLE policy.exceptions (
	tenant       text        NOT NULL,
	source_site  text        NOT NULL,
	exception_id text        NOT NULL, -- EX-n, numbered by the site
	status       text        NOT NULL, -- requested, approved, revoked
	policy_id    text        NOT NULL, -- '' = every policy
	expires      timestamptz NOT NULL,
	data         text        NOT NULL, -- canonical JSON of the exception
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	expired_seq  bigint      NOT NULL,
	synced_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, exception_id)
);
CREATE INDEX exceptions_expires ON policy.exceptions (tenant, status, expires);

ALTER TABLE policy.policy_lifecycle ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.policy_lifecycle
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.governance_statements ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.governance_statements
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.governance_attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.governance_attachments
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.exceptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.exceptions
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
