-- 0007: a governance statement's columns are what its envelope says
-- (docs/sync.md "Site identity"). PostgreSQL answers "approvals of P-1@3,
-- by whom" from the principal, action and key_id columns; they must be the
-- signed predicate's actor and action and a signer of the envelope, and
-- digest the sha256 of the envelope, whoever writes the row.

CREATE FUNCTION policy.check_statement_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	bad record;
BEGIN
	SELECT n.source_site, n.digest, n.action, n.principal INTO bad FROM new_rows n
	CROSS JOIN LATERAL (SELECT policy.statement_predicate(n.envelope) AS pred) p
	WHERE n.digest IS DISTINCT FROM 'sha256:' || encode(sha256(n.envelope), 'hex')
		OR p.pred->>'action' IS DISTINCT FROM n.action
		OR p.pred->'actor'->>'principal' IS DISTINCT FROM n.principal
		OR NOT EXISTS (SELECT 1 FROM jsonb_array_elements(policy.statement_envelope(n.envelope)->'signatures') sig WHERE sig->>'keyid' = n.key_id)
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'SY002', MESSAGE = format('policy.governance_statements: statement %s of site %s (%s by %s): its columns are not what its signed envelope says',
			bad.digest, bad.source_site, bad.action, bad.principal);
	END IF;
	RETURN NULL;
END $$;

-- statement_envelope is a stored DSSE envelope as JSON; NULL when it is not.
CREATE FUNCTION policy.statement_envelope(envelope bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
BEGIN
	RETURN convert_from(envelope, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;

CREATE TRIGGER statements_inserted AFTER INSERT ON policy.governance_statements REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_statement_rows();
CREATE TRIGGER statements_updated AFTER UPDATE ON policy.governance_statements REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_statement_rows();
