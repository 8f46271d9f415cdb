-- The groundwork of the second half: an outbox of streams (a release
-- today; a case, a self-report, a loan reminder, a campaign later), field
-- tasks of any kind with one link per helper, durable clocks claimed by one
-- process, structured policy values, and local monitoring decisions kept
-- beside the national system's view of a household.

-- Streams: what messages belong to. Existing releases become streams with
-- their own ids, so that the idempotency keys of their messages
-- (bst-<stream>-<message>) stay what the gateways have seen.
CREATE TABLE streams (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    subject_id    INTEGER NOT NULL,
    state         TEXT NOT NULL,
    first_message INTEGER NOT NULL DEFAULT 0,
    last_message  INTEGER NOT NULL DEFAULT 0,
    -- Links to helpers' pages sent in this stream stop working then.
    links_expire_at TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_id)
);
INSERT INTO streams (id, kind, subject_id, state, first_message, last_message, created_at)
SELECT id, 'release', id, state, first_message, last_message, created_at FROM releases;

ALTER TABLE releases ADD COLUMN stream_id INTEGER NOT NULL DEFAULT 0;
UPDATE releases SET stream_id = id;
CREATE UNIQUE INDEX releases_stream ON releases (stream_id);

-- Messages belong to a stream; counts and texts likewise.
ALTER TABLE messages RENAME COLUMN release_id TO stream_id;
ALTER TABLE release_counts RENAME TO stream_counts;
ALTER TABLE stream_counts RENAME COLUMN release_id TO stream_id;

CREATE TABLE message_texts (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams (id),
    channel   TEXT NOT NULL,
    text      TEXT NOT NULL
);
INSERT INTO message_texts (id, stream_id, channel, text) SELECT id, release_id, channel, text FROM release_texts;
DROP TABLE release_texts;

CREATE TABLE outbox_batches (
    stream_id   INTEGER NOT NULL REFERENCES streams (id),
    batch       INTEGER NOT NULL,
    due_at      TIMESTAMP,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP,
    first_id    INTEGER NOT NULL,
    last_id     INTEGER NOT NULL,
    PRIMARY KEY (stream_id, batch)
);
INSERT INTO outbox_batches (stream_id, batch, due_at, lease_owner, lease_until, first_id, last_id)
SELECT release_id, batch, due_at, lease_owner, lease_until, first_id, last_id FROM dispatch_batches;
DROP TABLE dispatch_batches;
CREATE INDEX outbox_batches_due ON outbox_batches (due_at) WHERE due_at IS NOT NULL;

-- Field tasks: a helper's or cadre's work at a household (confirm that a
-- key-group person was reached now; visit and check later), in a stream.
ALTER TABLE confirmation_tasks RENAME TO field_tasks;
ALTER TABLE field_tasks RENAME COLUMN release_id TO stream_id;
ALTER TABLE field_tasks RENAME COLUMN deadline TO due_at;
ALTER TABLE field_tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'confirm';
ALTER TABLE field_tasks ADD COLUMN payload TEXT NOT NULL DEFAULT '';
DROP INDEX confirmation_tasks_release;
DROP INDEX confirmation_tasks_assignee;
CREATE INDEX field_tasks_stream ON field_tasks (stream_id, village_code);
CREATE INDEX field_tasks_assignee ON field_tasks (assignee_phone, stream_id);

-- One kind of link for every helper's phone page: the token's hash only,
-- and when it stops working. A link opens all the open tasks of its phone.
CREATE TABLE field_links (
    token_hash     TEXT PRIMARY KEY,
    assignee_phone TEXT NOT NULL,
    stream_id      INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
INSERT INTO field_links (token_hash, assignee_phone, stream_id, created_at, expires_at)
SELECT token_hash, assignee_phone, release_id, created_at, created_at + 3 * 86400000000 FROM confirmation_links;
DROP TABLE confirmation_links;
CREATE INDEX field_links_assignee ON field_links (assignee_phone);

-- Clocks: every deadline of the system. "Overdue" is never stored: it is
-- a running clock whose due time has passed. fire_at is when its kind's
-- handler is next called (NULL: nothing more to do); a process claims a
-- due clock until claim_until, and only the claimant may finish it.
CREATE TABLE clocks (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    region_code TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    limit_value REAL NOT NULL,
    limit_unit  TEXT NOT NULL,
    policy_id   INTEGER,
    due_at      TIMESTAMP NOT NULL,
    due_date    TEXT NOT NULL DEFAULT '',
    provisional INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL,
    stopped_at  TIMESTAMP,
    fire_at     TIMESTAMP,
    stage       INTEGER NOT NULL DEFAULT 0,
    claim_owner TEXT NOT NULL DEFAULT '',
    claim_until TIMESTAMP,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, subject)
);
CREATE INDEX clocks_fire ON clocks (fire_at) WHERE fire_at IS NOT NULL;
CREATE INDEX clocks_region ON clocks (region_code, state, due_at);

-- The confirmation deadlines of existing releases move onto clocks: stage
-- is how far they were escalated; a release escalated to the counties has
-- nothing more to fire.
INSERT INTO clocks (kind, subject, region_code, started_at, limit_value, limit_unit, policy_id, due_at, state, fire_at, stage)
SELECT 'release.confirm', 'release:' || r.id, '000000000000', r.created_at, (r.deadline - r.created_at) / 60000000.0, 'minutes', NULL, r.deadline,
       CASE WHEN EXISTS (SELECT 1 FROM field_tasks t WHERE t.stream_id = r.stream_id AND t.outcome = '') THEN 'running' ELSE 'met' END,
       CASE r.escalation WHEN 0 THEN r.deadline WHEN 1 THEN r.escalated_at ELSE NULL END, r.escalation
FROM releases r;

DROP INDEX releases_escalation;
ALTER TABLE releases DROP COLUMN escalation;
ALTER TABLE releases DROP COLUMN escalated_at;
ALTER TABLE releases DROP COLUMN first_message;
ALTER TABLE releases DROP COLUMN last_message;
ALTER TABLE releases DROP COLUMN state;

-- Structured policy values: a table, a checklist, a list of steps with
-- their clocks, as a JSON document checked against its key's type.
ALTER TABLE policies ADD COLUMN data TEXT NOT NULL DEFAULT '';

-- Local monitoring decisions (from cases, from now on) beside the national
-- system's view that the roster import carries: a re-import never
-- overwrites them; the household's monitored group follows the latest
-- local decision while there is one.
CREATE TABLE monitoring_decisions (
    id            INTEGER PRIMARY KEY,
    -- No foreign key: an initial roster load sets the households' keys
    -- aside and builds them at the end, which a referencing key would block.
    household_id  INTEGER NOT NULL,
    monitored     INTEGER NOT NULL,
    monitor_type  TEXT NOT NULL DEFAULT '',
    identified_on TEXT NOT NULL DEFAULT '',
    cleared_on    TEXT NOT NULL DEFAULT '',
    risk_types    TEXT NOT NULL DEFAULT '[]',
    source        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL,
    decided_at    TIMESTAMP NOT NULL
);
CREATE INDEX monitoring_decisions_household ON monitoring_decisions (household_id, id);
ALTER TABLE households ADD COLUMN local_decision_id INTEGER;
CREATE INDEX households_local_decision ON households (local_decision_id) WHERE local_decision_id IS NOT NULL;

-- How long a helper's link keeps working after the deadline of its work.
INSERT INTO policies (key, region_code, value, unit, effective_from, source, created_at) VALUES
('link.valid_hours', '000000000000', 72, 'hours', '2023-01-01', 'backstop default: a helper''s confirmation link stops working 72 hours after the deadline of the work it was sent for (set locally)', '2026-01-01 00:00:00+00:00');

-- Monitoring lines are set per province and year (MISSION.md): a line is
-- in force for its year only, so that a year nobody has set is "no line",
-- never last year's figure or the national base of 2021. Gansu's lines
-- (POST-DISASTER.md): 2023 7,200; 2024 7,800 (provincial press conference
-- of 2024-08-13); 2025 and later are not known here: an admin adds them.
-- effective_to is the first day a version no longer applies.
UPDATE policies SET effective_to = '2022-01-01' WHERE key = 'monitoring_line' AND region_code = '000000000000' AND effective_from = '2021-01-01' AND effective_to IS NULL;
INSERT INTO policies (key, region_code, value, unit, effective_from, effective_to, source, created_at) VALUES
('monitoring_line', '620000000000', 7200, 'yuan/person/year', '2023-01-01', '2024-01-01', '甘肃省 2023年防止返贫监测范围 7,200元 (POST-DISASTER.md)', '2026-01-01 00:00:00+00:00'),
('monitoring_line', '620000000000', 7800, 'yuan/person/year', '2024-01-01', '2025-01-01', '甘肃省 2024年防止返贫监测范围 7,800元，省政府新闻发布会 2024-08-13 (POST-DISASTER.md)', '2026-01-01 00:00:00+00:00');
