-- 0009: signed sync checkpoints (docs/sync.md "A chain cut at its end").
--
-- PostgreSQL alone cannot prove its own tail: a chain whose last events were
-- deleted still verifies. So every sync (that is not a dry run) records the
-- head of the site's chain it leaves in PostgreSQL — the last audit event the
-- site sent, its seq (the number of events) and hash — and the time the
-- syncing stella read from its clock, signed by the site key when the sync has
-- one (--sign-key): a DSSE envelope of a sync-checkpoint@1 statement.
-- `stella audit verify --dsn` checks that the chain still holds every
-- checkpoint's event; with --key, that the checkpoints verify under the keys
-- the auditor brings, and with --max-sync-age, that the latest is recent.
--
-- The table is append-only, for every role: a trigger refuses UPDATE, DELETE
-- and TRUNCATE (only the schema owner, who can disable triggers, can remove a
-- checkpoint; what that can hide is in docs/sync.md).

CREATE TABLE policy.sync_checkpoints (
	tenant      text        NOT NULL,
	source_site text        NOT NULL,
	seq         bigint      NOT NULL, -- the head: the last event the site sent (0: none)
	event_hash  text        NOT NULL,
	synced_at   timestamptz NOT NULL, -- the syncing stella's clock, as signed
	key_id      text,                 -- NULL: unsigned (a sync without a site key)
	envelope    bytea,
	written_by  name        NOT NULL DEFAULT current_user,
	written_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant, source_site, synced_at, seq),
	CHECK ((key_id IS NULL) = (envelope IS NULL))
);
ALTER TABLE policy.sync_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy.sync_checkpoints
	USING (tenant IN (SELECT g.tenant FROM policy.tenant_grants g JOIN pg_roles r ON r.rolname = g.role_name
		WHERE pg_has_role(current_user, r.oid, 'MEMBER')));

CREATE FUNCTION policy.refuse_checkpoint_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'SY003', MESSAGE = format('policy.sync_checkpoints is append-only: %s refused', TG_OP);
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON policy.sync_checkpoints
	FOR EACH ROW EXECUTE FUNCTION policy.refuse_checkpoint_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON policy.sync_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION policy.refuse_checkpoint_change();

-- A registered site's checkpoints come from its role only (0005).
CREATE TRIGGER site_rows_inserted AFTER INSERT ON policy.sync_checkpoints REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION policy.check_site_rows('role');

-- Roles that could push or read before this migration keep that right.
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT rolname FROM pg_roles
		WHERE NOT rolsuper AND has_table_privilege(oid, 'policy.runs', 'INSERT') AND pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'policy.runs'::regclass)) <> rolname
	LOOP
		EXECUTE format('GRANT SELECT, INSERT ON policy.sync_checkpoints TO %I', r.rolname);
	END LOOP;
	FOR r IN SELECT rolname FROM pg_roles
		WHERE NOT rolsuper AND has_table_privilege(oid, 'policy.runs', 'SELECT') AND pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'policy.runs'::regclass)) <> rolname
	LOOP
		EXECUTE format('GRANT SELECT ON policy.sync_checkpoints TO %I', r.rolname);
	END LOOP;
END $$;
