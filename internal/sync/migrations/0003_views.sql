-- Dashboard views over the synced history (docs/sync.md "Violations and
-- state"): the same answers `stella policy violations` and `stella policy
-- state` give locally. security_invoker makes each view read its tables
-- as the querying role, so the tables' row level security (tenant grants)
-- applies to the views too.

-- One row per blocked or warned finding of a succeeded run.
CREATE VIEW policy.violation_events WITH (security_invoker = true) AS
SELECT f.tenant, f.finding_id, f.purl, f.advisory_id, f.severity_band, f.verdict,
       r.policy_id, r.policy_version, r.run_id, r.source_site, r.started_at,
       CASE WHEN r.shadow THEN 'shadow' ELSE r.mode END AS source
FROM policy.findings f
JOIN policy.runs r USING (tenant, run_id)
WHERE r.status = 'succeeded' AND f.verdict IN ('blocked', 'warned');

-- One row per finding identity: worst verdict, latest severity, first and
-- last seen, how many runs saw it.
CREATE VIEW policy.violations WITH (security_invoker = true) AS
SELECT tenant, finding_id, min(purl) AS purl, min(advisory_id) AS advisory_id,
       CASE WHEN bool_or(verdict = 'blocked') THEN 'blocked' ELSE 'warned' END AS verdict,
       (array_agg(severity_band ORDER BY started_at DESC, run_id DESC))[1] AS severity,
       array_agg(DISTINCT policy_id ORDER BY policy_id) AS policies,
       array_agg(DISTINCT source ORDER BY source) AS sources,
       min(started_at) AS first_seen, max(started_at) AS last_seen,
       count(DISTINCT run_id) AS runs
FROM policy.violation_events
GROUP BY tenant, finding_id;

-- Per tenant and site: policies, versions by lifecycle state (a version
-- without a lifecycle row is a draft), violations of the last 24 hours.
CREATE VIEW policy.policy_state WITH (security_invoker = true) AS
SELECT v.tenant, v.source_site,
       count(DISTINCT v.policy_id) AS policies,
       count(*) FILTER (WHERE l.state = 'active') AS active,
       count(*) FILTER (WHERE coalesce(l.state, 'draft') = 'draft') AS drafts,
       count(*) FILTER (WHERE l.state IN ('submitted', 'approved')) AS pending_review,
       (SELECT count(DISTINCT e.finding_id) FROM policy.violation_events e
         WHERE e.tenant = v.tenant AND e.source_site = v.source_site
           AND e.started_at >= now() - interval '24 hours') AS violations_24h
FROM policy.policy_versions v
LEFT JOIN policy.policy_lifecycle l USING (tenant, source_site, policy_id, version)
GROUP BY v.tenant, v.source_site;
