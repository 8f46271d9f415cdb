-- backstop schema, SQLite. Append-only: add a new file for every change.
-- Booleans are INTEGER 0/1; times are TIMESTAMP text in UTC; calendar dates
-- are TEXT YYYY-MM-DD.

CREATE TABLE regions (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    level           INTEGER NOT NULL,
    parent_code     TEXT REFERENCES regions (code),
    centre_lon      REAL,
    centre_lat      REAL,
    boundary        TEXT,
    boundary_source TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

-- registry_rev is bumped once by every transaction that changes households;
-- the changed rows carry the new value, so readers such as the exposure
-- index can catch up with WHERE rev > last seen.
CREATE TABLE registry_rev (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO registry_rev (id, rev) VALUES (1, 0);

CREATE TABLE households (
    id                   INTEGER PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,
    village_code         TEXT NOT NULL REFERENCES regions (code),
    natural_village      TEXT NOT NULL DEFAULT '',
    head_name            TEXT NOT NULL DEFAULT '',
    size                 INTEGER NOT NULL DEFAULT 0,
    people               INTEGER NOT NULL DEFAULT 0,
    type                 TEXT NOT NULL DEFAULT '',
    monitor_type         TEXT NOT NULL DEFAULT '',
    risk_cleared         INTEGER,
    risk_identified_on   TEXT NOT NULL DEFAULT '',
    risk_cleared_on      TEXT NOT NULL DEFAULT '',
    income_per_capita    REAL,
    dangerous_house      INTEGER,
    safe_water           INTEGER,
    phone                TEXT NOT NULL DEFAULT '',
    housing_structure    TEXT NOT NULL DEFAULT '',
    housing_grade        TEXT NOT NULL DEFAULT '',
    relocation_high_rise INTEGER,
    livelihood           TEXT NOT NULL DEFAULT '',
    water_source         TEXT NOT NULL DEFAULT '',
    assistance           TEXT NOT NULL DEFAULT '',
    helper_name          TEXT NOT NULL DEFAULT '',
    helper_phone         TEXT NOT NULL DEFAULT '',
    lon                  REAL,
    lat                  REAL,
    data_date            TEXT NOT NULL DEFAULT '',
    groups               INTEGER NOT NULL DEFAULT 0,
    youngest_birth       TEXT NOT NULL DEFAULT '',
    row_hash             INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    rev                  INTEGER NOT NULL,
    deleted              INTEGER NOT NULL DEFAULT 0,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
-- Lists and counts by region read only this index (partial: live rows).
CREATE INDEX households_village ON households (village_code, number, groups, people) WHERE NOT deleted;
CREATE INDEX households_rev ON households (rev);

CREATE TABLE members (
    id                  INTEGER PRIMARY KEY,
    household_id        INTEGER NOT NULL REFERENCES households (id),
    number              TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    id_number           TEXT NOT NULL,
    relation            TEXT NOT NULL DEFAULT '',
    ethnicity           TEXT NOT NULL DEFAULT '',
    education           TEXT NOT NULL DEFAULT '',
    school_status       TEXT NOT NULL DEFAULT '',
    health              TEXT NOT NULL DEFAULT '',
    labour              TEXT NOT NULL DEFAULT '',
    migrant_months      INTEGER,
    illness_insured     INTEGER,
    poverty_cause       TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    first_identified_on TEXT NOT NULL DEFAULT '',
    identified_on       TEXT NOT NULL DEFAULT '',
    birth_date          TEXT NOT NULL DEFAULT '',
    disabled            INTEGER NOT NULL DEFAULT 0,
    row_hash            INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_id_number ON members (id_number);

CREATE TABLE household_history (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    at           TIMESTAMP NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX household_history_household ON household_history (household_id, id);

CREATE TABLE imports (
    id                   INTEGER PRIMARY KEY,
    at                   TIMESTAMP NOT NULL,
    actor                TEXT NOT NULL,
    file_name            TEXT NOT NULL,
    format               TEXT NOT NULL,
    encoding             TEXT NOT NULL DEFAULT '',
    rows_total           INTEGER NOT NULL,
    rows_valid           INTEGER NOT NULL,
    rows_invalid         INTEGER NOT NULL,
    households_created   INTEGER NOT NULL,
    households_updated   INTEGER NOT NULL,
    households_unchanged INTEGER NOT NULL,
    people_created       INTEGER NOT NULL,
    people_updated       INTEGER NOT NULL,
    people_unchanged     INTEGER NOT NULL,
    dry_run              INTEGER NOT NULL,
    skip_invalid         INTEGER NOT NULL,
    written              INTEGER NOT NULL,
    policy_id            INTEGER,
    problems_total       INTEGER NOT NULL,
    problems             TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP,
    last_used   TIMESTAMP
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TIMESTAMP NOT NULL,
    actor  TEXT NOT NULL,
    role   TEXT NOT NULL DEFAULT '',
    via    TEXT NOT NULL DEFAULT '',
    addr   TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    record TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_record ON audit_log (entity, record);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
-- The trail is append-only for everyone, the application included.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE policies (
    id             INTEGER PRIMARY KEY,
    key            TEXT NOT NULL,
    region_code    TEXT NOT NULL,
    value          REAL NOT NULL,
    unit           TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to   TEXT,
    source         TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX policies_key ON policies (key, region_code, effective_from);

-- The national base of the monitoring line; provinces set their own each
-- year (Gansu's figure is not known here: add it as a row).
INSERT INTO policies (key, region_code, value, unit, effective_from, source, created_at) VALUES
('monitoring_line', '000000000000', 6000, 'yuan/person/year', '2021-01-01',
 '国家乡村振兴局等: 2021年防止返贫监测范围 — national base 6,000 yuan per capita (MISSION.md policy facts)', '2026-01-01 00:00:00+00:00');
