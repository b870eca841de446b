-- 0006: lessons are synced to PostgreSQL (docs/sync.md): each insert or
-- update is logged for `stella sync postgres`, as 0004 does for the other
-- synced tables.
CREATE TRIGGER sync_lessons_insert AFTER INSERT ON lessons
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('lessons', NEW.tenant, NEW.rowid); END;
CREATE TRIGGER sync_lessons_update AFTER UPDATE ON lessons
BEGIN INSERT INTO sync_log (tbl, tenant, rid) VALUES ('lessons', NEW.tenant, NEW.rowid); END;
INSERT INTO sync_log (tbl, tenant, rid) SELECT 'lessons', tenant, rowid FROM lessons ORDER BY rowid;
