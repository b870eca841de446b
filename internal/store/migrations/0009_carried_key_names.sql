-- 0009: keys a bundle carried in before carried keys were named bundle:NAME
-- (docs/bundle.md "The importing site's trust only") kept the producer's
-- name, so a name the site resolves (--trust-root NAME, --key NAME,
-- bundle.trust_roots) could mean a producer's key. They are renamed to
-- bundle:NAME (bundle:NAME-<id prefix> when that name is taken), as an
-- import names them now.
--
-- A key is the site's own when the audit log names its id in a
-- key.generated event (key generate) or a trust.* event (trust add: its
-- principal's key); every other registered key came from a bundle. Names
-- are not part of any hashed or signed row (statements, runs and the audit
-- chain name keys by id), so the chain and `store check` are unchanged.

UPDATE keys
SET name = CASE
	WHEN EXISTS (SELECT 1 FROM keys AS k WHERE k.tenant = keys.tenant AND k.name = 'bundle:' || keys.name)
	THEN 'bundle:' || keys.name || '-' || substr(replace(keys.key_id, 'sha256:', ''), 1, 12)
	ELSE 'bundle:' || keys.name
END
WHERE substr(name, 1, 7) <> 'bundle:'
	AND NOT EXISTS (
		SELECT 1 FROM audit_events AS e
		WHERE e.tenant = keys.tenant
			AND (e.type = 'key.generated' OR substr(e.type, 1, 6) = 'trust.')
			AND instr(e.payload, keys.key_id) > 0
	);
