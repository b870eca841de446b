-- 0004: what `stella sync` needs (docs/sync.md): a stable id for this
-- database (its "site"), a change log of the synced tables, and the
-- cursors of past syncs.
--
-- sync_log gets one entry per inserted or updated row of every synced table
-- (triggers below); its seq only grows (entries are never deleted, so the
-- INTEGER PRIMARY KEY is never reused). A sync reads a table's entries after
-- its cursor and sends the rows they point at as they are now, so a row
-- written after the last sync is sent exactly once more, whatever happened
-- to the rowids of other rows. Deleted rows (store prune) are not
-- propagated: the shared database keeps the history.

CREATE TABLE sync_site (
	one     INTEGER PRIMARY KEY CHECK (one = 1),
	site_id TEXT    NOT NULL -- 32 hex characters, chosen when this migration ran
) STRICT;
INSERT INTO sync_site (one, site_id) VALUES (1, lower(hex(randomblob(16))));

CREATE TABLE sync_log (
	seq    INTEGER PRIMARY KEY,
	tbl    TEXT    NOT NULL,
	tenant TEXT    NOT NULL,
	rid    INTEGER NOT NULL -- rowid of the row in tbl
) STRICT;
CREATE INDEX sync_log_table ON sync_log (tbl, tenant, seq);

-- target is the id of a shared database (its policy.meta target_id); seq is
-- the last sync_log entry of tbl that it has committed.
CREATE TABLE sync_cursors (
	target    TEXT    NOT NULL,
	tenant    TEXT    NOT NULL,
	tbl       TEXT    NOT NULL,
	seq       INTEGER NOT NULL,
	rows      INTEGER NOT NULL, -- rows sent to target so far
	synced_at TEXT    NOT NULL, -- wall clock, RFC 3339 UTC
	PRIMARY KEY (target, tenant, tbl)
) STRICT;

CREATE TRIGGER sync_policies_insert AFTER INSERT ON policies
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('policies', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_policies_update AFTER UPDATE ON policies
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('policies', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_policy_versions_insert AFTER INSERT ON policy_versions
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('policy_versions', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_policy_versions_update AFTER UPDATE ON policy_versions
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('policy_versions', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_policy_lifecycle_insert AFTER INSERT ON policy_lifecycle
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('policy_lifecycle', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_policy_lifecycle_update AFTER UPDATE ON policy_lifecycle
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('policy_lifecycle', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_snapshots_insert AFTER INSERT ON snapshots
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('snapshots', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_snapshots_update AFTER UPDATE ON snapshots
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('snapshots', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_snapshot_files_insert AFTER INSERT ON snapshot_files
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('snapshot_files', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_blobs_insert AFTER INSERT ON blobs
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('blobs', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_runs_insert AFTER INSERT ON runs
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('runs', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_runs_update AFTER UPDATE ON runs
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('runs', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_explains_insert AFTER INSERT ON explains
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('explains', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_findings_insert AFTER INSERT ON findings
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('findings', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_governance_statements_insert AFTER INSERT ON governance_statements
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('governance_statements', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_governance_attachments_insert AFTER INSERT ON governance_attachments
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('governance_attachments', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_exceptions_insert AFTER INSERT ON exceptions
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('exceptions', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_exceptions_update AFTER UPDATE ON exceptions
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('exceptions', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_audit_events_insert AFTER INSERT ON audit_events
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('audit_events', NEW.tenant, NEW.rowid); END;

-- Rows written before this migration are logged once, in rowid order.
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'policies', tenant, rowid FROM policies ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'policy_versions', tenant, rowid FROM policy_versions ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'policy_lifecycle', tenant, rowid FROM policy_lifecycle ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'snapshots', tenant, rowid FROM snapshots ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'snapshot_files', tenant, rowid FROM snapshot_files ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'blobs', tenant, rowid FROM blobs ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'runs', tenant, rowid FROM runs ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'explains', tenant, rowid FROM explains ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'findings', tenant, rowid FROM findings ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'governance_statements', tenant, rowid FROM governance_statements ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'governance_attachments', tenant, rowid FROM governance_attachments ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'exceptions', tenant, rowid FROM exceptions ORDER BY rowid;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'audit_events', tenant, rowid FROM audit_events ORDER BY rowid;
