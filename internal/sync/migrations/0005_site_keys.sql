-- 0005: site identity (docs/sync.md "Site identity").
--
-- An operator with the schema owner's role registers each site of a tenant:
-- its site id, the public half of its site key and the one role that may
-- write its rows. From then on PostgreSQL itself refuses, whoever connects:
--   * rows of a registered site written by a role that is not its role;
--   * rows of a registered site in a transaction that carries no push
--     record (policy.site_pushes) naming the site's registered key: stella
--     signs every batch it pushes with the site key (the envelope is kept
--     here, `stella audit verify --dsn` checks it);
--   * rows of an unregistered site in a tenant that has registered sites;
--   * a label in policy.sites for a registered site, by another role;
--   * exceptions and lifecycle states without the signed statements they
--     rest on (the statements are sent in the same transaction).
-- Only the owner (and superusers) write policy.site_keys: row-level
-- security gives other roles no write policy there.

CREATE TABLE policy.site_keys (
	tenant        text        NOT NULL,
	site_id       text        NOT NULL,
	role_name     name        NOT NULL, -- the role that may write the site's rows
	key_id        text        NOT NULL, -- sha256: of the site key's public key
	public_pem    text        NOT NULL,
	label         text        NOT NULL,
	registered_by name        NOT NULL DEFAULT current_user,
	registered_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, site_id)
);
ALTER TABLE policy.site_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON policy.site_keys FOR SELECT
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));

-- Keys a site was registered with before (sync register --replace): pushes
-- signed before retired_at still verify under them.
CREATE TABLE policy.site_keys_retired (
	tenant        text        NOT NULL,
	site_id       text        NOT NULL,
	key_id        text        NOT NULL,
	public_pem    text        NOT NULL,
	role_name     name        NOT NULL,
	registered_at timestamptz NOT NULL,
	retired_by    name        NOT NULL DEFAULT current_user,
	retired_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, site_id, key_id, retired_at)
);
ALTER TABLE policy.site_keys_retired ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON policy.site_keys_retired FOR SELECT
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));

-- One row per batch a site pushed with its key: the DSSE envelope of the
-- sync.push statement (tenant, site, table, change log range, rows digest
-- and, for audit events, the chain head), signed by the site key.
CREATE TABLE policy.site_pushes (
	tenant      text        NOT NULL,
	source_site text        NOT NULL,
	table_name  text        NOT NULL,
	last_seq    bigint      NOT NULL, -- the site's change log entry the batch ends with
	key_id      text        NOT NULL,
	envelope    bytea       NOT NULL,
	pushed_by   name        NOT NULL DEFAULT current_user,
	pushed_at   timestamptz NOT NULL DEFAULT now(),
	txid        bigint      NOT NULL DEFAULT txid_current(),
	PRIMARY KEY (tenant, source_site, table_name, last_seq)
);
CREATE INDEX site_pushes_txid ON policy.site_pushes (txid);
ALTER TABLE policy.site_pushes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.site_pushes
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));

-- Roles that could push before this migration keep that right: they get
-- the same privileges on the new tables.
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT rolname FROM pg_roles
		WHERE NOT rolsuper AND has_table_privilege(oid, 'policy.runs', 'INSERT') AND pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'policy.runs'::regclass)) <> rolname
	LOOP
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON policy.site_pushes TO %I', r.rolname);
	END LOOP;
	FOR r IN SELECT rolname FROM pg_roles
		WHERE NOT rolsuper AND has_table_privilege(oid, 'policy.runs', 'SELECT') AND pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'policy.runs'::regclass)) <> rolname
	LOOP
		EXECUTE format('GRANT SELECT ON policy.site_pushes, policy.site_keys, policy.site_keys_retired TO %I', r.rolname);
	END LOOP;
END $$;

-- site_problem says why role who may not write rows of site s in tenant t
-- (NULL when it may). signed: the transaction must also carry a push
-- record under the site's registered key. It runs as the owner, so that it
-- sees every registration whatever the caller's grants.
CREATE FUNCTION policy.site_problem(who name, t text, s text, signed boolean) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	k record;
BEGIN
	SELECT role_name, key_id INTO k FROM policy.site_keys WHERE tenant = t AND site_id = s;
	IF NOT FOUND THEN
		IF EXISTS (SELECT 1 FROM policy.site_keys WHERE tenant = t) THEN
			RETURN format('site %s is not registered in tenant %s, which accepts rows of registered sites only (stella sync register)', s, t);
		END IF;
		RETURN NULL;
	END IF;
	IF NOT pg_has_role(who, k.role_name, 'MEMBER') THEN
		RETURN format('site %s of tenant %s is registered to role %s; role %s may not write its rows', s, t, k.role_name, who);
	END IF;
	IF signed AND NOT EXISTS (SELECT 1 FROM policy.site_pushes p
			WHERE p.txid = txid_current() AND p.tenant = t AND p.source_site = s AND p.key_id = k.key_id) THEN
		RETURN format('site %s of tenant %s pushes only with its registered key %s; this transaction carries no push signed with it', s, t, k.key_id);
	END IF;
	RETURN NULL;
END $$;

-- site_key returns the registration of site s in tenant t: its role and
-- key id, and whether the tenant accepts registered sites only.
CREATE FUNCTION policy.site_key(t text, s text, OUT role_name name, OUT key_id text, OUT closed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
	SELECT k.role_name, k.key_id, EXISTS (SELECT 1 FROM policy.site_keys c WHERE c.tenant = t)
	FROM (SELECT 1) one LEFT JOIN policy.site_keys k ON k.tenant = t AND k.site_id = s
$$;

CREATE FUNCTION policy.check_site_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	r record;
	msg text;
BEGIN
	FOR r IN SELECT DISTINCT tenant, source_site FROM new_rows LOOP
		msg := policy.site_problem(current_user, r.tenant, r.source_site, TG_ARGV[0] = 'signed');
		IF msg IS NOT NULL THEN
			RAISE EXCEPTION USING ERRCODE = 'SY001', MESSAGE = format('policy.%s: %s', TG_TABLE_NAME, msg);
		END IF;
	END LOOP;
	RETURN NULL;
END $$;

DO $$
DECLARE
	t text;
	mode text;
BEGIN
	FOREACH t IN ARRAY ARRAY['policies', 'policy_versions', 'policy_lifecycle', 'snapshots', 'snapshot_files', 'blobs',
		'runs', 'explains', 'findings', 'governance_statements', 'governance_attachments', 'exceptions', 'lessons',
		'audit_events', 'sync_cursors', 'site_pushes']
	LOOP
		mode := CASE WHEN t IN ('sync_cursors', 'site_pushes') THEN 'role' ELSE 'signed' END;
		EXECUTE format('CREATE TRIGGER site_rows_inserted AFTER INSERT ON policy.%I REFERENCING NEW TABLE AS new_rows
			FOR EACH STATEMENT EXECUTE FUNCTION policy.check_site_rows(%L)', t, mode);
		EXECUTE format('CREATE TRIGGER site_rows_updated AFTER UPDATE ON policy.%I REFERENCING NEW TABLE AS new_rows
			FOR EACH STATEMENT EXECUTE FUNCTION policy.check_site_rows(%L)', t, mode);
	END LOOP;
END $$;

-- policy.sites has no tenant: a registered site's label is written only by
-- a role it is registered to, in any tenant.
CREATE FUNCTION policy.label_problem(who name, s text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
	SELECT format('site %s is registered to role %s; role %s may not change its label', s, string_agg(DISTINCT k.role_name, ', '), who)
	FROM policy.site_keys k WHERE k.site_id = s
	HAVING count(*) > 0 AND NOT bool_or(pg_has_role(who, k.role_name, 'MEMBER'))
$$;

CREATE FUNCTION policy.check_site_label() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	msg text := policy.label_problem(current_user, NEW.site_id);
BEGIN
	IF msg IS NOT NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'SY001', MESSAGE = 'policy.sites: ' || msg;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER site_label BEFORE INSERT OR UPDATE ON policy.sites FOR EACH ROW EXECUTE FUNCTION policy.check_site_label();

-- Governance rows arrive with their statements (docs/sync.md "Site
-- identity"): an exception needs its request, and the approval or
-- revocation its status claims; a version submitted, approved or active
-- needs the statements of those transitions.
CREATE FUNCTION policy.check_exception_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	bad record;
BEGIN
	SELECT n.source_site, n.exception_id, n.status INTO bad FROM new_rows n
	WHERE NOT EXISTS (SELECT 1 FROM policy.governance_statements s WHERE s.tenant = n.tenant AND s.source_site = n.source_site
			AND s.subject = n.exception_id AND s.action = 'exception.requested')
		OR n.status IN ('approved', 'revoked') AND NOT EXISTS (SELECT 1 FROM policy.governance_statements s
			WHERE s.tenant = n.tenant AND s.source_site = n.source_site AND s.subject = n.exception_id AND s.action = 'exception.' || n.status)
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'SY002', MESSAGE = format('policy.exceptions: exception %s of site %s (status %s) comes without the signed statements it rests on',
			bad.exception_id, bad.source_site, bad.status);
	END IF;
	RETURN NULL;
END $$;

CREATE FUNCTION policy.check_lifecycle_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	bad record;
BEGIN
	SELECT n.source_site, n.policy_id || '@' || n.version AS subject, n.state INTO bad FROM new_rows n
	WHERE n.state IN ('submitted', 'approved', 'active') AND NOT EXISTS (SELECT 1 FROM policy.governance_statements s
			WHERE s.tenant = n.tenant AND s.source_site = n.source_site AND s.subject = n.policy_id || '@' || n.version
			AND s.action = CASE n.state WHEN 'submitted' THEN 'policy.submitted' ELSE 'policy.approved' END)
		OR n.state = 'active' AND NOT EXISTS (SELECT 1 FROM policy.governance_statements s
			WHERE s.tenant = n.tenant AND s.source_site = n.source_site AND s.subject = n.policy_id || '@' || n.version
			AND s.action IN ('policy.activated', 'policy.rollback'))
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'SY002', MESSAGE = format('policy.policy_lifecycle: %s of site %s (state %s) comes without the signed statements it rests on',
			bad.subject, bad.source_site, bad.state);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER statements_inserted AFTER INSERT ON policy.exceptions REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_exception_rows();
CREATE TRIGGER statements_updated AFTER UPDATE ON policy.exceptions REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_exception_rows();
CREATE TRIGGER statements_inserted AFTER INSERT ON policy.policy_lifecycle REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_lifecycle_rows();
CREATE TRIGGER statements_updated AFTER UPDATE ON policy.policy_lifecycle REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_lifecycle_rows();
