-- Every object scoped to a region, not only households (issue 9).
--
-- warnings.region_code: the smallest region holding every region the
-- warning's areas cover; writes on a warning (updating, cancelling,
-- consultations) need it inside the user's region. New warnings get it
-- from alerting (geocoded areas cover their regions, drawn areas the
-- villages of the households they reach). Old ones: the common prefix of
-- their areas' resolved regions; a drawn area (polygon or circle) could
-- reach anywhere, so such a warning becomes national (only users of the
-- national scope may update or cancel it); a warning without any region
-- (a Cancel without areas) is its issuer's region's, national when the
-- issuer is unknown or a job.
ALTER TABLE warnings ADD COLUMN region_code TEXT NOT NULL DEFAULT '000000000000';
UPDATE warnings SET region_code = CASE
    WHEN x.drawn > 0 THEN '000000000000'
    WHEN x.lo IS NULL THEN COALESCE(x.issuer, '000000000000')
    WHEN substr(x.lo, 1, 12) = substr(x.hi, 1, 12) THEN x.lo
    WHEN substr(x.lo, 1, 9) = substr(x.hi, 1, 9) THEN substr(x.lo, 1, 9) || '000'
    WHEN substr(x.lo, 1, 6) = substr(x.hi, 1, 6) THEN substr(x.lo, 1, 6) || '000000'
    WHEN substr(x.lo, 1, 4) = substr(x.hi, 1, 4) THEN substr(x.lo, 1, 4) || '00000000'
    WHEN substr(x.lo, 1, 2) = substr(x.hi, 1, 2) THEN substr(x.lo, 1, 2) || '0000000000'
    ELSE '000000000000' END
FROM (SELECT w.id,
        (SELECT min(r.value) FROM json_each(w.areas) a, json_each(a.value, '$.regions') r) AS lo,
        (SELECT max(r.value) FROM json_each(w.areas) a, json_each(a.value, '$.regions') r) AS hi,
        (SELECT count(*) FROM json_each(w.areas) a
          WHERE COALESCE(json_array_length(a.value, '$.polygons'), 0) > 0 OR COALESCE(json_array_length(a.value, '$.circles'), 0) > 0) AS drawn,
        (SELECT u.region_code FROM users u WHERE u.name = w.created_by) AS issuer
      FROM warnings w) AS x
WHERE x.id = warnings.id;
CREATE INDEX warnings_region ON warnings (region_code, sent);

-- Message templates per region: a county's own template overrides the
-- city's, the city's the national defaults. The templates so far are the
-- national defaults. SQLite cannot change a UNIQUE constraint in place, so
-- the table is made again (nothing references it).
CREATE TABLE message_templates_new (
    id          INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '000000000000',
    hazard      TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (region_code, hazard, level)
);
INSERT INTO message_templates_new (id, region_code, hazard, level, text, updated_by, updated_at)
SELECT id, '000000000000', hazard, level, text, updated_by, updated_at FROM message_templates;
DROP TABLE message_templates;
ALTER TABLE message_templates_new RENAME TO message_templates;

-- audit_log.region_code: where a row belongs, so that an auditor of a
-- region reads that region's trail (a national auditor all of it): the
-- region of the record acted on, else the actor's region. Old rows are
-- filled from the records they name as far as those are still known, else
-- from the actor's region; rows of the CLI, of jobs and of unknown actors
-- are national (only national auditors read them). The trail is
-- append-only; its trigger is lifted for this one backfill and put back.
ALTER TABLE audit_log ADD COLUMN region_code TEXT NOT NULL DEFAULT '000000000000';
DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET region_code = COALESCE(
    CASE entity
        WHEN 'household' THEN COALESCE(
            (SELECT h.village_code FROM households h WHERE h.number = audit_log.record),
            CASE WHEN length(audit_log.record) IN (2, 4, 6, 9, 12) AND audit_log.record NOT GLOB '*[^0-9]*'
                 THEN substr(audit_log.record || '000000000000', 1, 12) END)
        WHEN 'member' THEN (SELECT h.village_code FROM members m JOIN households h ON h.id = m.household_id WHERE m.number = audit_log.record)
        WHEN 'warning' THEN (SELECT w.region_code FROM warnings w WHERE w.id = CAST(audit_log.record AS INTEGER) AND audit_log.record NOT GLOB '*[^0-9]*')
        WHEN 'release' THEN (SELECT w.region_code FROM releases r JOIN warnings w ON w.id = r.warning_id WHERE r.id = CAST(audit_log.record AS INTEGER) AND audit_log.record NOT GLOB '*[^0-9]*')
        WHEN 'contact' THEN COALESCE(
            (SELECT c.region_code FROM contacts c WHERE c.id = CAST(audit_log.record AS INTEGER) AND audit_log.record NOT GLOB '*[^0-9]*'),
            CASE WHEN length(audit_log.detail) = 12 AND audit_log.detail NOT GLOB '*[^0-9]*' THEN audit_log.detail END)
        WHEN 'template' THEN '000000000000'
        WHEN 'task' THEN (SELECT t.village_code FROM field_tasks t WHERE t.id = CAST(audit_log.record AS INTEGER) AND audit_log.record NOT GLOB '*[^0-9]*')
        WHEN 'quarantined_alert' THEN (SELECT q.region_code FROM quarantined_alerts q WHERE q.id = CAST(audit_log.record AS INTEGER) AND audit_log.record NOT GLOB '*[^0-9]*')
        WHEN 'user' THEN (SELECT u.region_code FROM users u WHERE u.name = audit_log.record)
        WHEN 'policy' THEN CASE WHEN substr(audit_log.detail, 1, 12) NOT GLOB '*[^0-9]*' AND length(audit_log.detail) >= 12 THEN substr(audit_log.detail, 1, 12) END
    END,
    (SELECT u.region_code FROM users u WHERE u.name = audit_log.actor),
    '000000000000');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE INDEX audit_log_region ON audit_log (region_code, id);
