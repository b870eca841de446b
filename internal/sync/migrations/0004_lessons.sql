-- Lessons learned (docs/lessons.md), numbered L-n by each site, and the
-- pending ones counted by policy_state (docs/sync.md "Violations and state").
CREATE TABLE policy.lessons (
	tenant          text        NOT NULL,
	source_site     text        NOT NULL,
	lesson_id       text        NOT NULL,
	type            text        NOT NULL, -- failure, near_threshold, critical_success
	severity        text        NOT NULL,
	source_run      text        NOT NULL,
	policy_id       text        NOT NULL,
	policy_version  integer,
	evaluation_time timestamptz NOT NULL,
	gate            text        NOT NULL,
	band            text        NOT NULL,
	label           text        NOT NULL,
	title           text        NOT NULL,
	description     text        NOT NULL,
	proposed_action text        NOT NULL,
	evidence        text        NOT NULL, -- canonical JSON
	status          text        NOT NULL, -- pending, converted_to_draft, deferred, dismissed
	draft           text        NOT NULL,
	deferred_until  text        NOT NULL,
	reason          text        NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	synced_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, lesson_id)
);
CREATE INDEX lessons_status ON policy.lessons (tenant, status);
ALTER TABLE policy.lessons ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.lessons
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));

CREATE OR REPLACE VIEW policy.policy_state WITH (security_invoker = true) AS
SELECT v.tenant, v.source_site,
       count(DISTINCT v.policy_id) AS policies,
       count(*) FILTER (WHERE l.state = 'active') AS active,
       count(*) FILTER (WHERE coalesce(l.state, 'draft') = 'draft') AS drafts,
       count(*) FILTER (WHERE l.state IN ('submitted', 'approved')) AS pending_review,
       (SELECT count(DISTINCT e.finding_id) FROM policy.violation_events e
         WHERE e.tenant = v.tenant AND e.source_site = v.source_site
           AND e.started_at >= now() - interval '24 hours') AS violations_24h,
       (SELECT count(*) FROM policy.lessons s
         WHERE s.tenant = v.tenant AND s.source_site = v.source_site AND s.status = 'pending') AS lessons_pending
FROM policy.policy_versions v
LEFT JOIN policy.policy_lifecycle l USING (tenant, source_site, policy_id, version)
GROUP BY v.tenant, v.source_site;
