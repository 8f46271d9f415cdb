-- Every object scoped to a region, not only households (issue 9). The
-- rules are those of the SQLite migration of the same number.
--
-- warnings.region_code: the smallest region holding every region the
-- warning's areas cover. Old warnings: the common prefix of their areas'
-- resolved regions; one with a drawn area (polygon or circle) is national;
-- one without any region is its issuer's region's (national when unknown).
ALTER TABLE warnings ADD COLUMN region_code TEXT COLLATE "C" NOT NULL DEFAULT '000000000000';
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
        (SELECT min(r COLLATE "C") FROM jsonb_array_elements(w.areas::jsonb) a, jsonb_array_elements_text(COALESCE(a->'regions', '[]'::jsonb)) r) AS lo,
        (SELECT max(r COLLATE "C") FROM jsonb_array_elements(w.areas::jsonb) a, jsonb_array_elements_text(COALESCE(a->'regions', '[]'::jsonb)) r) AS hi,
        (SELECT count(*) FROM jsonb_array_elements(w.areas::jsonb) a
          WHERE jsonb_array_length(COALESCE(a->'polygons', '[]'::jsonb)) > 0 OR jsonb_array_length(COALESCE(a->'circles', '[]'::jsonb)) > 0) AS drawn,
        (SELECT u.region_code FROM users u WHERE u.name = w.created_by) AS issuer
      FROM warnings w) AS x
WHERE x.id = warnings.id;
CREATE INDEX warnings_region ON warnings (region_code, sent);

-- Message templates per region; the templates so far are the national
-- defaults.
ALTER TABLE message_templates ADD COLUMN region_code TEXT COLLATE "C" NOT NULL DEFAULT '000000000000';
ALTER TABLE message_templates DROP CONSTRAINT message_templates_hazard_level_key;
ALTER TABLE message_templates ADD CONSTRAINT message_templates_region_hazard_level_key UNIQUE (region_code, hazard, level);

-- audit_log.region_code: the region of the record acted on, else the
-- actor's; old rows filled as on SQLite. The append-only trigger is off
-- for this one backfill, inside this migration's transaction.
ALTER TABLE audit_log ADD COLUMN region_code TEXT COLLATE "C" NOT NULL DEFAULT '000000000000';
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
UPDATE audit_log SET region_code = COALESCE(
    CASE entity
        WHEN 'household' THEN COALESCE(
            (SELECT h.village_code FROM households h WHERE h.number = audit_log.record),
            CASE WHEN length(audit_log.record) IN (2, 4, 6, 9, 12) AND audit_log.record ~ '^[0-9]+$'
                 THEN substr(audit_log.record || '000000000000', 1, 12) END)
        WHEN 'member' THEN (SELECT h.village_code FROM members m JOIN households h ON h.id = m.household_id WHERE m.number = audit_log.record)
        WHEN 'warning' THEN (SELECT w.region_code FROM warnings w WHERE w.id = CASE WHEN audit_log.record ~ '^[0-9]{1,18}$' THEN audit_log.record::bigint END)
        WHEN 'release' THEN (SELECT w.region_code FROM releases r JOIN warnings w ON w.id = r.warning_id WHERE r.id = CASE WHEN audit_log.record ~ '^[0-9]{1,18}$' THEN audit_log.record::bigint END)
        WHEN 'contact' THEN COALESCE(
            (SELECT c.region_code FROM contacts c WHERE c.id = CASE WHEN audit_log.record ~ '^[0-9]{1,18}$' THEN audit_log.record::bigint END),
            CASE WHEN audit_log.detail ~ '^[0-9]{12}$' THEN audit_log.detail END)
        WHEN 'template' THEN '000000000000'
        WHEN 'task' THEN (SELECT t.village_code FROM field_tasks t WHERE t.id = CASE WHEN audit_log.record ~ '^[0-9]{1,18}$' THEN audit_log.record::bigint END)
        WHEN 'quarantined_alert' THEN (SELECT q.region_code FROM quarantined_alerts q WHERE q.id = CASE WHEN audit_log.record ~ '^[0-9]{1,18}$' THEN audit_log.record::bigint END)
        WHEN 'user' THEN (SELECT u.region_code FROM users u WHERE u.name = audit_log.record)
        WHEN 'policy' THEN CASE WHEN audit_log.detail ~ '^[0-9]{12}' THEN substr(audit_log.detail, 1, 12) END
    END,
    (SELECT u.region_code FROM users u WHERE u.name = audit_log.actor),
    '000000000000');
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;
CREATE INDEX audit_log_region ON audit_log (region_code, id);
