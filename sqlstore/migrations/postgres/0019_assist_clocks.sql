-- The assistance plan's deadlines escalate as a case's overdue step does
-- (issue 12 item 4): a water repair runs a clock (assist.water_repair,
-- subject water_repair:<id>) and its escalations go out in a stream, the
-- household's open case's or, without one, the repair's own. Repairs
-- opened before get theirs here; referral clocks that came due while
-- their handler did nothing are due again. The county's stage reads
-- case.escalate_county_workdays (0014), one number for every overdue
-- deadline of a household.
-- (The other engine's 0019 is the same schema.)
ALTER TABLE water_repairs ADD COLUMN stream_id BIGINT NOT NULL DEFAULT 0;

UPDATE water_repairs SET stream_id = COALESCE((SELECT c.stream_id FROM cases c WHERE c.household_id = water_repairs.household_id
    AND c.state IN ('in_procedure', 'active', 'clearing', 'held')), 0);
INSERT INTO streams (kind, subject_id, state, created_at)
SELECT 'water_repair', r.id, 'done', r.created_at FROM water_repairs r WHERE r.stream_id = 0;
UPDATE water_repairs SET stream_id = (SELECT s.id FROM streams s WHERE s.kind = 'water_repair' AND s.subject_id = water_repairs.id) WHERE stream_id = 0;

-- An open repair's clock is due the day after its due date, 00:00 Beijing
-- (16:00 UTC of the due date; China keeps no summer time). Its limit is
-- counted in calendar days from the Beijing day it was opened: the
-- working days of the policy version used were not recorded, and days
-- give the same due date exactly.
INSERT INTO clocks (kind, subject, region_code, started_at, limit_value, limit_unit, policy_id, due_at, due_date, provisional, state, fire_at)
SELECT 'assist.water_repair', 'water_repair:' || r.id, r.village_code, r.created_at,
       r.due_on::date - ((r.created_at AT TIME ZONE 'UTC') + INTERVAL '8 hours')::date, 'days', NULL,
       ((r.due_on::date + 1)::timestamp - INTERVAL '8 hours') AT TIME ZONE 'UTC', r.due_on, FALSE, 'running',
       ((r.due_on::date + 1)::timestamp - INTERVAL '8 hours') AT TIME ZONE 'UTC'
FROM water_repairs r WHERE r.state = 'open';

-- A running referral clock without a next run fired the old handler that
-- told nobody: it starts again from the township's stage.
UPDATE clocks SET stage = 0, fire_at = due_at WHERE kind = 'assist.referral_answer' AND state = 'running' AND stage > 0 AND fire_at IS NULL;
