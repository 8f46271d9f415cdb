-- The loop's dashboard counts each household by its latest case (a
-- household cleared and later 再标注 counts in its new episode, not twice),
-- read from one covering index instead of de-duplicating household ids:
-- superseded marks a case a newer episode of its household followed;
-- helped whether a measure of it was started (kept by the measure writes);
-- reported_on the Beijing date the case was opened (report to inclusion).
-- (The other engine's 0018 is the same schema.)
ALTER TABLE cases ADD COLUMN superseded BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN helped BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN reported_on TEXT NOT NULL DEFAULT '';
UPDATE cases SET
    superseded = EXISTS (SELECT 1 FROM cases n WHERE n.household_id = cases.household_id AND n.id > cases.id),
    helped = EXISTS (SELECT 1 FROM measures m WHERE m.case_id = cases.id AND (m.status IN ('in_progress', 'done') OR m.started_on <> '')),
    reported_on = to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD');
-- Not partial: SQLite reads a partial index as covering only when the
-- columns of its condition are in it.
CREATE INDEX cases_loop ON cases (village_code, state, helped, superseded, green_channel, open_debts, reported_on, identified_on);
CREATE INDEX measures_loop ON measures (village_code, category, status, started_on);
