-- Household-level assistance (issue 12 item 4): housing subsidy records
-- (only-dwelling confirmations, disbursements), relief grants counted as
-- transfer income, drinking-water tests and re-checks, repair tasks and
-- emergency supply points. Every row sits in its household's (or point's)
-- village for scope; records are appended, never edited, except a
-- repair's state by compare-and-set on its version.
-- (The other engine's 0015 is the same schema.)

CREATE TABLE housing_subsidy_records (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('only_dwelling', 'disbursement')),
    household_id   INTEGER NOT NULL REFERENCES households (id),
    village_code   TEXT NOT NULL,
    loss_report_id INTEGER NOT NULL,
    only_dwelling  BOOLEAN NOT NULL DEFAULT FALSE,
    amount         INTEGER NOT NULL DEFAULT 0,
    paid_on        TEXT NOT NULL DEFAULT '',
    paid_by        TEXT NOT NULL DEFAULT '',
    policy_ids     TEXT NOT NULL DEFAULT '[]',
    note           TEXT NOT NULL DEFAULT '',
    recorded_by    TEXT NOT NULL,
    recorded_at    TIMESTAMP NOT NULL
);
CREATE INDEX housing_subsidy_records_household ON housing_subsidy_records (household_id, id);

CREATE TABLE relief_grants (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('temporary', 'basic_living')),
    amount       REAL NOT NULL,
    granted_on   TEXT NOT NULL,
    event_id     INTEGER NOT NULL DEFAULT 0,
    key_groups   TEXT NOT NULL DEFAULT '[]',
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
CREATE INDEX relief_grants_household ON relief_grants (household_id, granted_on);
CREATE INDEX relief_grants_village ON relief_grants (village_code);

CREATE TABLE water_records (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('quality_test', 'recheck')),
    household_id INTEGER NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    lab          TEXT NOT NULL DEFAULT '',
    pass         BOOLEAN NOT NULL,
    water        TEXT NOT NULL DEFAULT '{}',
    failures     TEXT NOT NULL DEFAULT '[]',
    policy_id    INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
CREATE INDEX water_records_household ON water_records (household_id, on_date);

CREATE TABLE water_repairs (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    problem      TEXT NOT NULL,
    assignee     TEXT NOT NULL,
    department   TEXT NOT NULL DEFAULT '',
    due_on       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('open', 'done')),
    done_on      TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    done_by      TEXT NOT NULL DEFAULT '',
    done_at      TIMESTAMP
);
CREATE INDEX water_repairs_household ON water_repairs (household_id, id);
CREATE INDEX water_repairs_village ON water_repairs (village_code, state);

CREATE TABLE water_supply_points (
    id           INTEGER PRIMARY KEY,
    village_code TEXT NOT NULL,
    name         TEXT NOT NULL,
    lon          REAL NOT NULL,
    lat          REAL NOT NULL,
    households   INTEGER NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX water_supply_points_village ON water_supply_points (village_code);

-- The housing subsidy table (housing_subsidy) has no seeded version: it is
-- per county, and a county without one gets an error, never a default.
INSERT INTO policies (key, region_code, value, data, unit, effective_from, source, created_at) VALUES
('assist.water_repair_workdays', '000000000000', 10, '', 'workdays', '2023-01-01', '本地默认（未核实）：饮水设施维修在10个工作日内完成；张掖未公布时限，县区可修改', '2026-01-01 00:00:00+00:00');
