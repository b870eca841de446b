-- 0006: an exception's terms are its signed request's (docs/sync.md "Site
-- identity"). 0005 required the request statement to be there; now the
-- row's terms (everything but id, status and approvers) must be the terms
-- a request statement of the same site and subject holds, and a row scoped
-- to one policy by its request must keep that scope. A row widened after
-- it was signed for (pkg:npm/lodash → pkg:*) is refused, whoever writes it.

-- statement_predicate is the predicate of a stored DSSE envelope holding an
-- in-toto statement; NULL when the envelope is not one.
CREATE FUNCTION policy.statement_predicate(envelope bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
BEGIN
	RETURN convert_from(decode(convert_from(envelope, 'UTF8')::jsonb->>'payload', 'base64'), 'UTF8')::jsonb->'predicate';
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION policy.check_exception_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	bad record;
BEGIN
	SELECT n.source_site, n.exception_id, n.status, coalesce(r.requested, false) AS requested, coalesce(r.same, false) AS same INTO bad
	FROM new_rows n
	LEFT JOIN LATERAL (
		SELECT true AS requested, bool_or((n.data::jsonb - 'id' - 'status' - 'approvers') = ((p.pred->'exception') - 'id' - 'status' - 'approvers')
			AND (coalesce(p.pred->>'forPolicy', '') = '' OR p.pred->>'forPolicy' = n.policy_id)) AS same
		FROM policy.governance_statements s
		CROSS JOIN LATERAL (SELECT policy.statement_predicate(s.envelope) AS pred) p
		WHERE s.tenant = n.tenant AND s.source_site = n.source_site AND s.subject = n.exception_id AND s.action = 'exception.requested'
	) r ON true
	WHERE r.same IS NOT TRUE
		OR n.status IN ('approved', 'revoked') AND NOT EXISTS (SELECT 1 FROM policy.governance_statements s
			WHERE s.tenant = n.tenant AND s.source_site = n.source_site AND s.subject = n.exception_id AND s.action = 'exception.' || n.status)
	LIMIT 1;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	RAISE EXCEPTION USING ERRCODE = 'SY002', MESSAGE = format('policy.exceptions: exception %s of site %s (status %s) %s',
		bad.exception_id, bad.source_site, bad.status, CASE
			WHEN NOT bad.requested THEN 'comes without the signed statements it rests on'
			WHEN NOT bad.same THEN 'has terms its signed request statement does not hold'
			ELSE 'comes without the signed statement of its status' END);
END $$;
