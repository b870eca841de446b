-- 0005: lessons learned (docs/lessons.md). The detector records at most one
-- lesson per (tenant, source run, type) after every recorded run; people
-- move them through pending → converted_to_draft | deferred | dismissed,
-- each transition an audit event.
CREATE TABLE lessons (
	tenant          TEXT    NOT NULL,
	lesson_id       TEXT    NOT NULL, -- L-1, L-2, … per tenant
	type            TEXT    NOT NULL CHECK (type IN ('failure', 'near_threshold', 'critical_success')),
	severity        TEXT    NOT NULL DEFAULT '', -- failure: the worst band of the deciding findings
	source_run      TEXT    NOT NULL,
	policy_id       TEXT    NOT NULL,
	policy_version  INTEGER,
	evaluation_time TEXT    NOT NULL, -- the source run's, RFC 3339 UTC
	gate            TEXT    NOT NULL DEFAULT '', -- near_threshold: "P-1 max-high"
	band            TEXT    NOT NULL DEFAULT '', -- near_threshold: 85-90, 90-95, 95-100
	label           TEXT    NOT NULL DEFAULT '', -- the software label (SBOM names)
	title           TEXT    NOT NULL,
	description     TEXT    NOT NULL,
	proposed_action TEXT    NOT NULL,
	evidence        BLOB    NOT NULL, -- canonical JSON
	status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'converted_to_draft', 'deferred', 'dismissed')),
	draft           TEXT    NOT NULL DEFAULT '', -- P-n@v drafted by convert
	deferred_until  TEXT    NOT NULL DEFAULT '',
	reason          TEXT    NOT NULL DEFAULT '', -- dismiss reason
	created_at      TEXT    NOT NULL, -- wall clock
	updated_at      TEXT    NOT NULL,
	PRIMARY KEY (tenant, lesson_id),
	UNIQUE (tenant, source_run, type)
) STRICT;
CREATE INDEX lessons_status ON lessons (tenant, status);
CREATE INDEX lessons_debounce ON lessons (tenant, type, gate, band, evaluation_time);
