-- Warnings, their exposure snapshots, consultations and feeds.

CREATE TABLE warnings (
    id            INTEGER PRIMARY KEY,
    sender        TEXT NOT NULL,
    identifier    TEXT NOT NULL,
    sent          TIMESTAMP NOT NULL,
    status        TEXT NOT NULL,
    msg_type      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    source        TEXT NOT NULL,
    hazard        TEXT NOT NULL,
    level         TEXT NOT NULL DEFAULT '',
    severity      TEXT NOT NULL DEFAULT '',
    urgency       TEXT NOT NULL DEFAULT '',
    certainty     TEXT NOT NULL DEFAULT '',
    event         TEXT NOT NULL DEFAULT '',
    headline      TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    instruction   TEXT NOT NULL DEFAULT '',
    sender_name   TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT '',
    effective     TIMESTAMP,
    onset         TIMESTAMP,
    expires       TIMESTAMP,
    areas         TEXT NOT NULL,
    state         TEXT NOT NULL,
    supersedes    INTEGER REFERENCES warnings (id),
    superseded_by INTEGER REFERENCES warnings (id),
    notes         TEXT NOT NULL DEFAULT '[]',
    cap           TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL,
    UNIQUE (sender, identifier, sent)
);
CREATE INDEX warnings_identifier ON warnings (sender, identifier);
CREATE INDEX warnings_state ON warnings (state, sent);

-- One snapshot per computation of a warning's exposure: who was exposed as
-- the registry knew it then. Counts are kept per village so that a user's
-- view can be summed within the user's region.
CREATE TABLE exposure_snapshots (
    id           INTEGER PRIMARY KEY,
    warning_id   INTEGER NOT NULL REFERENCES warnings (id),
    computed_at  TIMESTAMP NOT NULL,
    registry_rev INTEGER NOT NULL,
    households   INTEGER NOT NULL,
    people       INTEGER NOT NULL,
    policy_ids   TEXT NOT NULL,
    took_ms      REAL NOT NULL
);
CREATE INDEX exposure_snapshots_warning ON exposure_snapshots (warning_id, id);

CREATE TABLE exposure_villages (
    snapshot_id  INTEGER NOT NULL REFERENCES exposure_snapshots (id),
    village_code TEXT NOT NULL,
    counts       TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, village_code)
);

CREATE TABLE exposure_households (
    snapshot_id  INTEGER NOT NULL REFERENCES exposure_snapshots (id),
    rank         INTEGER NOT NULL,
    household_id INTEGER NOT NULL,
    village_code TEXT NOT NULL,
    score        INTEGER NOT NULL,
    reasons      TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, rank)
);
CREATE INDEX exposure_households_village ON exposure_households (snapshot_id, village_code, rank);

CREATE TABLE consultations (
    id           INTEGER PRIMARY KEY,
    warning_id   INTEGER NOT NULL REFERENCES warnings (id),
    departments  TEXT NOT NULL,
    participants TEXT NOT NULL,
    assessment   TEXT NOT NULL,
    decision     TEXT NOT NULL,
    actions      TEXT NOT NULL,
    approver     TEXT NOT NULL DEFAULT '',
    approved_at  TIMESTAMP,
    held_at      TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX consultations_warning ON consultations (warning_id);

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    url              TEXT NOT NULL UNIQUE,
    interval_seconds INTEGER NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 1,
    last_polled_at   TIMESTAMP,
    last_error       TEXT NOT NULL DEFAULT '',
    last_new         INTEGER NOT NULL DEFAULT 0,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);

-- Vulnerability weights for ranking exposed households (points per
-- factor). Local rules set their own by adding rows.
INSERT INTO policies (key, region_code, value, unit, effective_from, source, created_at) VALUES
('vulnerability.tekun',          '000000000000', 30, 'points', '2023-01-01', 'backstop default: 分散供养特困 first (notice 二(一): 重点人群优先)', '2026-01-01 00:00:00+00:00'),
('vulnerability.elderly_alone',  '000000000000', 25, 'points', '2023-01-01', 'backstop default: 独居老人', '2026-01-01 00:00:00+00:00'),
('vulnerability.monitored',      '000000000000', 25, 'points', '2023-01-01', 'backstop default: 监测对象', '2026-01-01 00:00:00+00:00'),
('vulnerability.disability',     '000000000000', 20, 'points', '2023-01-01', 'backstop default: 家中有残疾人', '2026-01-01 00:00:00+00:00'),
('vulnerability.dibao',          '000000000000', 15, 'points', '2023-01-01', 'backstop default: 低保', '2026-01-01 00:00:00+00:00'),
('vulnerability.formerly_poor',  '000000000000', 10, 'points', '2023-01-01', 'backstop default: 脱贫户', '2026-01-01 00:00:00+00:00'),
('vulnerability.low_income',     '000000000000', 10, 'points', '2023-01-01', 'backstop default: 低收入', '2026-01-01 00:00:00+00:00'),
('vulnerability.house_d',        '000000000000', 30, 'points', '2023-01-01', 'backstop default: D级危房 (农村住房安全性鉴定)', '2026-01-01 00:00:00+00:00'),
('vulnerability.house_c',        '000000000000', 15, 'points', '2023-01-01', 'backstop default: C级危房', '2026-01-01 00:00:00+00:00'),
('vulnerability.earth_wood',     '000000000000', 10, 'points', '2023-01-01', 'backstop default: 土木结构住房', '2026-01-01 00:00:00+00:00'),
('vulnerability.dispersed_water','000000000000', 5,  'points', '2023-01-01', 'backstop default: 分散供水', '2026-01-01 00:00:00+00:00'),
('vulnerability.high_rise',      '000000000000', 5,  'points', '2023-01-01', 'backstop default: 易地扶贫搬迁高楼', '2026-01-01 00:00:00+00:00');
