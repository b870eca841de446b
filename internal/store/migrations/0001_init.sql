-- 0001: the first schema of the stella store (docs/store.md).
--
-- Every table carries the tenant and every key starts with it; the Go code
-- never queries without a tenant. Content-addressed rows (blobs, explains)
-- are keyed by their sha256 digest and never rewritten; `stella store check`
-- recomputes the digests. audit_events is append-only (triggers) and
-- hash-chained per tenant.

CREATE TABLE blobs (
	tenant     TEXT    NOT NULL,
	digest     TEXT    NOT NULL, -- sha256:<hex> of data
	media_type TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	data       BLOB    NOT NULL,
	PRIMARY KEY (tenant, digest)
) STRICT;

CREATE TABLE snapshots (
	tenant      TEXT NOT NULL,
	snapshot_id TEXT NOT NULL, -- the snapshot's own id (sha256: of its manifest)
	summary     TEXT NOT NULL, -- JSON: counts for ls/show
	source      TEXT NOT NULL, -- where it was imported from
	imported_at TEXT NOT NULL, -- wall clock, RFC 3339 UTC
	PRIMARY KEY (tenant, snapshot_id)
) STRICT;

CREATE TABLE snapshot_files (
	tenant      TEXT NOT NULL,
	snapshot_id TEXT NOT NULL,
	path        TEXT NOT NULL, -- slash-separated, relative to the snapshot root
	digest      TEXT NOT NULL,
	PRIMARY KEY (tenant, snapshot_id, path),
	FOREIGN KEY (tenant, snapshot_id) REFERENCES snapshots (tenant, snapshot_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant, digest) REFERENCES blobs (tenant, digest)
) STRICT;
CREATE INDEX snapshot_files_digest ON snapshot_files (tenant, digest);

-- Registered policies (P-n). Governance adds lifecycle state in later
-- migrations (new columns or tables); versions themselves are immutable.
CREATE TABLE policies (
	tenant     TEXT NOT NULL,
	policy_id  TEXT NOT NULL,
	name       TEXT NOT NULL, -- the name in the policy header
	created_at TEXT NOT NULL,
	PRIMARY KEY (tenant, policy_id)
) STRICT;

CREATE TABLE policy_versions (
	tenant            TEXT    NOT NULL,
	policy_id         TEXT    NOT NULL,
	version           INTEGER NOT NULL CHECK (version >= 1),
	ir_digest         TEXT    NOT NULL,
	source_digest     TEXT    NOT NULL,
	source_map_digest TEXT,
	author            TEXT    NOT NULL DEFAULT '',
	created_at        TEXT    NOT NULL,
	PRIMARY KEY (tenant, policy_id, version),
	FOREIGN KEY (tenant, policy_id) REFERENCES policies (tenant, policy_id),
	FOREIGN KEY (tenant, ir_digest) REFERENCES blobs (tenant, digest),
	FOREIGN KEY (tenant, source_digest) REFERENCES blobs (tenant, digest),
	FOREIGN KEY (tenant, source_map_digest) REFERENCES blobs (tenant, digest)
) STRICT;
CREATE INDEX policy_versions_ir ON policy_versions (tenant, ir_digest);

-- One row per run. record is the canonical run record (DESIGN §7) without
-- wall-clock fields; the timing columns hold those.
CREATE TABLE runs (
	tenant          TEXT    NOT NULL,
	run_id          TEXT    NOT NULL,
	policy_id       TEXT    NOT NULL,
	policy_version  INTEGER,          -- NULL for a policy file
	ir_digest       TEXT    NOT NULL,
	mode            TEXT    NOT NULL CHECK (mode IN ('run', 'simulate')),
	shadow          INTEGER NOT NULL CHECK (shadow IN (0, 1)),
	snapshot_id     TEXT,             -- NULL when the inputs were not a stored snapshot
	inputs_hash     TEXT    NOT NULL,
	evaluation_time TEXT    NOT NULL,
	status          TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed')),
	verdict         TEXT    NOT NULL DEFAULT '', -- passed, warned, blocked; '' when failed
	findings_count  INTEGER NOT NULL DEFAULT 0,
	findings_digest TEXT    NOT NULL DEFAULT '',
	explains_digest TEXT    NOT NULL DEFAULT '',
	record          BLOB    NOT NULL, -- canonical JSON
	result          BLOB,             -- canonical JSON of the engine result without findings
	attestation     BLOB,             -- DSSE envelope (policy.run@1), when signed
	error           TEXT    NOT NULL DEFAULT '',
	started_at      TEXT    NOT NULL,
	completed_at    TEXT    NOT NULL,
	duration_ms     INTEGER NOT NULL,
	PRIMARY KEY (tenant, run_id),
	FOREIGN KEY (tenant, ir_digest) REFERENCES blobs (tenant, digest),
	FOREIGN KEY (tenant, snapshot_id) REFERENCES snapshots (tenant, snapshot_id)
) STRICT;
CREATE INDEX runs_started ON runs (tenant, started_at);
CREATE INDEX runs_policy ON runs (tenant, policy_id, started_at);
CREATE INDEX runs_ir ON runs (tenant, ir_digest);

-- Explain traces, content-addressed by their explain id.
CREATE TABLE explains (
	tenant TEXT NOT NULL,
	digest TEXT NOT NULL,
	data   BLOB NOT NULL, -- canonical JSON of the trace
	PRIMARY KEY (tenant, digest)
) STRICT;

-- Findings, flattened for queries; data is the canonical finding without
-- its trace.
CREATE TABLE findings (
	tenant         TEXT    NOT NULL,
	run_id         TEXT    NOT NULL,
	finding_id     TEXT    NOT NULL,
	purl           TEXT    NOT NULL,
	advisory_id    TEXT    NOT NULL,
	vex_status     TEXT    NOT NULL,
	verdict        TEXT    NOT NULL,
	severity_band  TEXT    NOT NULL,
	severity_score TEXT    NOT NULL,
	rule           TEXT    NOT NULL,
	enforced       INTEGER NOT NULL CHECK (enforced IN (0, 1)),
	explain_id     TEXT    NOT NULL,
	data           BLOB    NOT NULL,
	PRIMARY KEY (tenant, run_id, finding_id),
	FOREIGN KEY (tenant, run_id) REFERENCES runs (tenant, run_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant, explain_id) REFERENCES explains (tenant, digest)
) STRICT;
CREATE INDEX findings_explain ON findings (tenant, explain_id);

-- Public keys known to this database. Private keys never enter the store.
CREATE TABLE keys (
	tenant     TEXT NOT NULL,
	key_id     TEXT NOT NULL, -- sha256: of the DER SubjectPublicKeyInfo
	name       TEXT NOT NULL,
	type       TEXT NOT NULL, -- ed25519, ecdsa-p256
	public_pem TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (tenant, key_id),
	UNIQUE (tenant, name)
) STRICT;

-- The append-only audit log, one hash chain per tenant: event_hash is the
-- digest of the canonical JSON of the event including previous_hash.
CREATE TABLE audit_events (
	tenant        TEXT    NOT NULL,
	seq           INTEGER NOT NULL CHECK (seq >= 1),
	type          TEXT    NOT NULL,
	at            TEXT    NOT NULL, -- wall clock, RFC 3339 UTC
	actor         TEXT    NOT NULL,
	subject       TEXT    NOT NULL,
	payload       TEXT    NOT NULL, -- canonical JSON
	previous_hash TEXT    NOT NULL,
	event_hash    TEXT    NOT NULL,
	PRIMARY KEY (tenant, seq)
) STRICT;
CREATE INDEX audit_events_type ON audit_events (tenant, type, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
