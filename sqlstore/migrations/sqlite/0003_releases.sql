-- Targeted release: message templates, contacts, releases with their
-- outbox (messages in dispatch batches), delivery receipts, last-mile
-- confirmation tasks and their links.

CREATE TABLE message_templates (
    id         INTEGER PRIMARY KEY,
    hazard     TEXT NOT NULL DEFAULT '',
    level      TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (hazard, level)
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    department  TEXT NOT NULL DEFAULT '',
    region_code TEXT NOT NULL,
    phone       TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    hazards     TEXT NOT NULL DEFAULT '[]',
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX contacts_region ON contacts (region_code, kind);

CREATE TABLE releases (
    id          INTEGER PRIMARY KEY,
    warning_id  INTEGER NOT NULL REFERENCES warnings (id),
    snapshot_id INTEGER NOT NULL REFERENCES exposure_snapshots (id),
    audiences   TEXT NOT NULL,
    channels    TEXT NOT NULL,
    template_id INTEGER,
    text        TEXT NOT NULL,
    test        INTEGER NOT NULL,
    state       TEXT NOT NULL,
    basis       TEXT NOT NULL,
    deadline    TIMESTAMP NOT NULL,
    policy_ids  TEXT NOT NULL,
    counts      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    -- Escalation of the unconfirmed goes release by release (all its
    -- tasks share the deadline): 1 told the townships, 2 the counties.
    escalation   INTEGER NOT NULL DEFAULT 0,
    escalated_at TIMESTAMP,
    -- The ids of the release's messages lie in [first_message, last_message].
    first_message INTEGER NOT NULL DEFAULT 0,
    last_message  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX releases_warning ON releases (warning_id, id);
CREATE INDEX releases_escalation ON releases (escalation, deadline);

CREATE TABLE release_texts (
    id         INTEGER PRIMARY KEY,
    release_id INTEGER NOT NULL REFERENCES releases (id),
    channel    TEXT NOT NULL,
    text       TEXT NOT NULL
);

-- The outbox: one row per address and channel, written with the release.
-- The idempotency key a gateway sees is bst-<release>-<id>. Messages and
-- tasks are written by the million in the release's own transaction,
-- with ids the writer hands out: per-row foreign-key checks would be most
-- of the cost of a large release, and they could never fail here, so
-- these two tables carry none.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    release_id   INTEGER NOT NULL,
    batch        INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    audience     TEXT NOT NULL,
    address      TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    household_id INTEGER,
    village_code TEXT NOT NULL DEFAULT '',
    text_id      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TIMESTAMP NOT NULL,
    error        TEXT NOT NULL DEFAULT '',
    gateway_id   TEXT NOT NULL DEFAULT '',
    sent_at      TIMESTAMP,
    delivered_at TIMESTAMP,
    fallback     INTEGER
);
-- No secondary index but the delivered one below: a batch is read by its
-- id range (ids are handed out by the writer), a release's messages by
-- the release's, so that writing a million rows maintains one b-tree and
-- a status change rewrites no index entry.

-- Messages per channel, audience and status, kept in the same transactions
-- that write and update messages: the dashboard reads a few rows instead
-- of counting a million.
CREATE TABLE release_counts (
    release_id INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    audience   TEXT NOT NULL,
    status     TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (release_id, channel, audience, status)
);

-- Dispatch batches: a worker leases one, sends its due messages, and
-- gives it back; a lease that runs out (a killed process) makes the batch
-- due again, so nothing is lost.
CREATE TABLE dispatch_batches (
    release_id  INTEGER NOT NULL REFERENCES releases (id),
    batch       INTEGER NOT NULL,
    due_at      TIMESTAMP,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP,
    first_id    INTEGER NOT NULL,
    last_id     INTEGER NOT NULL,
    PRIMARY KEY (release_id, batch)
);
CREATE INDEX dispatch_batches_due ON dispatch_batches (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE confirmation_tasks (
    id             INTEGER PRIMARY KEY,
    release_id     INTEGER NOT NULL,
    household_id   INTEGER NOT NULL,
    member_id      INTEGER,
    person_name    TEXT NOT NULL,
    phone          TEXT NOT NULL DEFAULT '',
    groups         INTEGER NOT NULL,
    village_code   TEXT NOT NULL,
    assignee       TEXT NOT NULL,
    assignee_phone TEXT NOT NULL DEFAULT '',
    outcome        TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    confirmed_by   TEXT NOT NULL DEFAULT '',
    confirmed_at   TIMESTAMP,
    deadline       TIMESTAMP NOT NULL,
    escalation     INTEGER NOT NULL DEFAULT 0,
    escalated_at   TIMESTAMP,
    call_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX confirmation_tasks_release ON confirmation_tasks (release_id, village_code);
CREATE INDEX confirmation_tasks_assignee ON confirmation_tasks (release_id, assignee_phone);

-- A secret link per assignee and release opens the phone page without an
-- account; only its hash is kept.
CREATE TABLE confirmation_links (
    token_hash     TEXT PRIMARY KEY,
    release_id     INTEGER NOT NULL REFERENCES releases (id),
    assignee_phone TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (release_id, assignee_phone)
);

-- Confirmation clocks: minutes after the release by which key-group
-- persons must be confirmed (earlier when the hazard's onset comes first),
-- and after which the unconfirmed go from the township to the county.
INSERT INTO policies (key, region_code, value, unit, effective_from, source, created_at) VALUES
('release.confirm_minutes.red',      '000000000000', 30,  'minutes', '2023-01-01', 'backstop default: 红色预警 key groups confirmed within 30 minutes of release (set locally)', '2026-01-01 00:00:00+00:00'),
('release.confirm_minutes.orange',   '000000000000', 60,  'minutes', '2023-01-01', 'backstop default: 橙色预警 within 60 minutes (set locally)', '2026-01-01 00:00:00+00:00'),
('release.confirm_minutes.yellow',   '000000000000', 120, 'minutes', '2023-01-01', 'backstop default: 黄色预警 within 120 minutes (set locally)', '2026-01-01 00:00:00+00:00'),
('release.confirm_minutes.blue',     '000000000000', 240, 'minutes', '2023-01-01', 'backstop default: 蓝色预警 within 240 minutes (set locally)', '2026-01-01 00:00:00+00:00'),
('release.escalate_county_minutes',  '000000000000', 30,  'minutes', '2023-01-01', 'backstop default: still unconfirmed 30 minutes after the township was told, the county is told', '2026-01-01 00:00:00+00:00');

INSERT INTO message_templates (hazard, level, text, updated_by, updated_at) VALUES
('', '', '{sender}发布{hazard}{level}预警：{area}，{time}。{action}如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('rainstorm', '', '{sender}发布暴雨{level}预警：{area}，{time}。请远离河道、低洼地和山坡，危房户请立即转移。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('flood', '', '{sender}发布洪水{level}预警：{area}，{time}。沿河群众请向高处转移，不要涉水过河。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('gale', '', '{sender}发布大风{level}预警：{area}，{time}。请加固大棚和简易房屋，远离广告牌和危墙。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('sandstorm', '', '{sender}发布沙尘暴{level}预警：{area}，{time}。请关好门窗，减少外出，牲畜入圈。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('cold_wave', '', '{sender}发布寒潮{level}预警：{area}，{time}。请做好取暖防冻，注意煤炉通风防止煤气中毒。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('landslide', '', '{sender}发布滑坡{level}预警：{area}，{time}。坡下和沟口住户请立即转移到安全地带。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00'),
('debris_flow', '', '{sender}发布泥石流{level}预警：{area}，{time}。沟口住户请立即转移，不要在沟道停留。如需帮助请拨打{hotline}。', 'migration', '2026-01-01 00:00:00+00:00');
