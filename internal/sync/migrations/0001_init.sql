-- 0001: the shared history of stella sites (docs/sync.md).
--
-- Every row carries the tenant and the source site (the id of the SQLite
-- database it came from). Content-addressed and content-derived keys (run
-- ids, finding ids, explain and blob digests, snapshot ids) are shared by
-- all sites: the first site to send a row provides it, and a site that
-- sends the same key with other content is refused. Ids a site allocates
-- itself (policy ids P-n, audit sequence numbers) are keyed by site.
--
-- Row-level security isolates tenants for every role but the tables' owner
-- (and superusers): another role sees, and may write, only the rows of the
-- tenants granted to it, or to a role it is a member of, in
-- policy.tenant_grants.

CREATE TABLE policy.tenant_grants (
	role_name name NOT NULL,
	tenant    text NOT NULL,
	PRIMARY KEY (role_name, tenant)
);

CREATE TABLE policy.meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
-- target_id names this database in each site's local cursors.
INSERT INTO policy.meta (key, value) VALUES ('target_id', md5(random()::text || clock_timestamp()::text));

CREATE TABLE policy.sites (
	site_id        text PRIMARY KEY,
	label          text        NOT NULL, -- --site, default the host name
	stella_version text        NOT NULL, -- of the last sync
	first_sync_at  timestamptz NOT NULL DEFAULT now(),
	last_sync_at   timestamptz NOT NULL DEFAULT now()
);

-- seq is the last entry of the site's change log of table_name that is
-- committed here: a sync continues after it. last_row identifies that
-- entry's row (its key, and a digest of its content where that never
-- changes), so a site whose log no longer agrees (a database restored from
-- an older backup, then written to) is recognised.
CREATE TABLE policy.sync_cursors (
	source_site text        NOT NULL,
	tenant      text        NOT NULL,
	table_name  text        NOT NULL,
	seq         bigint      NOT NULL,
	last_row    text        NOT NULL,
	rows_sent   bigint      NOT NULL,
	updated_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (source_site, tenant, table_name)
);

CREATE TABLE policy.policies (
	tenant      text        NOT NULL,
	source_site text        NOT NULL,
	policy_id   text        NOT NULL, -- P-n, numbered by the site
	name        text        NOT NULL,
	created_at  timestamptz NOT NULL,
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, policy_id)
);

CREATE TABLE policy.policy_versions (
	tenant            text        NOT NULL,
	source_site       text        NOT NULL,
	policy_id         text        NOT NULL,
	version           integer     NOT NULL,
	ir_digest         text        NOT NULL, -- the same policy has the same digest on every site
	source_digest     text        NOT NULL,
	source_map_digest text,
	author            text        NOT NULL,
	created_at        timestamptz NOT NULL,
	synced_at         timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, policy_id, version)
);
CREATE INDEX policy_versions_ir ON policy.policy_versions (tenant, ir_digest);

CREATE TABLE policy.snapshots (
	tenant      text        NOT NULL,
	snapshot_id text        NOT NULL,
	source_site text        NOT NULL,
	summary     text        NOT NULL, -- JSON
	source      text        NOT NULL,
	imported_at timestamptz NOT NULL,
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, snapshot_id)
);

-- The manifest of each snapshot: its files and their digests. The bytes are
-- in policy.blobs only when a site syncs --with-blobs.
CREATE TABLE policy.snapshot_files (
	tenant      text        NOT NULL,
	snapshot_id text        NOT NULL,
	path        text        NOT NULL,
	digest      text        NOT NULL,
	source_site text        NOT NULL,
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, snapshot_id, path)
);

CREATE TABLE policy.blobs (
	tenant      text        NOT NULL,
	digest      text        NOT NULL,
	source_site text        NOT NULL,
	media_type  text        NOT NULL,
	size        bigint      NOT NULL,
	data        bytea       NOT NULL,
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, digest)
);

-- record, result and attestation are the exact canonical JSON the site
-- stored (cast to jsonb to query them); env is the run's --env as an object.
CREATE TABLE policy.runs (
	tenant            text        NOT NULL,
	run_id            text        NOT NULL,
	source_site       text        NOT NULL,
	policy_id         text        NOT NULL,
	policy_version    integer,
	ir_digest         text        NOT NULL,
	source_map_digest text,
	mode              text        NOT NULL,
	shadow            boolean     NOT NULL,
	snapshot_id       text,
	inputs_hash       text        NOT NULL,
	evaluation_time   timestamptz NOT NULL,
	status            text        NOT NULL,
	verdict           text        NOT NULL,
	findings_count    integer     NOT NULL,
	findings_digest   text        NOT NULL,
	explains_digest   text        NOT NULL,
	env               jsonb       NOT NULL,
	record            text        NOT NULL,
	result            text,
	attestation       text,
	error             text        NOT NULL,
	started_at        timestamptz NOT NULL,
	completed_at      timestamptz NOT NULL,
	duration_ms       bigint      NOT NULL,
	synced_at         timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, run_id)
);
CREATE INDEX runs_started ON policy.runs (tenant, started_at);
CREATE INDEX runs_policy ON policy.runs (tenant, policy_id, policy_version);
CREATE INDEX runs_ir ON policy.runs (tenant, ir_digest);
CREATE INDEX runs_env ON policy.runs USING gin (env);

CREATE TABLE policy.explains (
	tenant      text        NOT NULL,
	digest      text        NOT NULL,
	source_site text        NOT NULL,
	data        text        NOT NULL, -- canonical JSON of the trace
	synced_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, digest)
);

CREATE TABLE policy.findings (
	tenant         text        NOT NULL,
	run_id         text        NOT NULL,
	finding_id     text        NOT NULL,
	source_site    text        NOT NULL,
	purl           text        NOT NULL,
	advisory_id    text        NOT NULL,
	vex_status     text        NOT NULL,
	verdict        text        NOT NULL,
	severity_band  text        NOT NULL,
	severity_score numeric,             -- NULL when unknown
	rule           text        NOT NULL,
	enforced       boolean     NOT NULL,
	explain_id     text        NOT NULL,
	data           text        NOT NULL, -- canonical JSON of the finding without its trace
	synced_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, run_id, finding_id)
);
CREATE INDEX findings_verdict ON policy.findings (tenant, verdict);
CREATE INDEX findings_advisory ON policy.findings (tenant, advisory_id);
CREATE INDEX findings_purl ON policy.findings (tenant, purl);

-- One hash chain per (tenant, source_site), exactly as the site wrote it:
-- `stella audit verify --dsn` recomputes every link.
CREATE TABLE policy.audit_events (
	tenant        text        NOT NULL,
	source_site   text        NOT NULL,
	seq           bigint      NOT NULL,
	type          text        NOT NULL,
	at            text        NOT NULL, -- RFC 3339 UTC, as hashed
	actor         text        NOT NULL,
	subject       text        NOT NULL,
	payload       text        NOT NULL, -- canonical JSON, as hashed
	previous_hash text        NOT NULL,
	event_hash    text        NOT NULL,
	synced_at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, seq)
);
CREATE INDEX audit_events_type ON policy.audit_events (tenant, type);

ALTER TABLE policy.sync_cursors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.sync_cursors
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.policies
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.policy_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.policy_versions
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.snapshots
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.snapshot_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.snapshot_files
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.blobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.blobs
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.runs
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.explains ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.explains
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.findings
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
ALTER TABLE policy.audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.audit_events
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
