-- Before the next disaster (issue 13; notice 三(一)–三(四)): county
-- contingency plans with their versions and reminders, department plans,
-- disaster information officers and their training, the eight departments
-- as organisations with subscriptions (webhooks through the outbox), the
-- events they are told of and the pushes they send in, the project library
-- with funds and beneficiaries, project assets and what became of damaged
-- ones, insurance products, policies and claims, and publicity events.
-- (The other engine's 0013 is the same schema.)

-- A county's plan for a year: one row per county and year, made with its
-- reminder clock and stream before anything is drafted (state missing).
-- The current version's content is copied onto the row for lists and the
-- readiness view; versions are never edited.
CREATE TABLE plans (
    id                  INTEGER PRIMARY KEY,
    county_code         TEXT NOT NULL,
    year                INTEGER NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('missing', 'draft', 'submitted', 'approved')),
    title               TEXT NOT NULL DEFAULT '',
    stream_id           INTEGER NOT NULL REFERENCES streams (id),
    version             INTEGER NOT NULL DEFAULT 0,
    sections            TEXT NOT NULL DEFAULT '{}',
    missing             TEXT NOT NULL DEFAULT '[]',
    doc_name            TEXT NOT NULL DEFAULT '',
    doc_kind            TEXT NOT NULL DEFAULT '',
    doc_size            INTEGER NOT NULL DEFAULT 0,
    doc_sha256          TEXT NOT NULL DEFAULT '',
    doc_path            TEXT NOT NULL DEFAULT '',
    checklist_policy_id INTEGER,
    due_at              TIMESTAMP NOT NULL,
    submitted_at        TIMESTAMP,
    approved_at         TIMESTAMP,
    approved_by         TEXT NOT NULL DEFAULT '',
    return_note         TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    updated_by          TEXT NOT NULL DEFAULT '',
    UNIQUE (county_code, year)
);
CREATE INDEX plans_year ON plans (year, county_code);

CREATE TABLE plan_versions (
    plan_id    INTEGER NOT NULL REFERENCES plans (id),
    version    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    sections   TEXT NOT NULL,
    doc_name   TEXT NOT NULL DEFAULT '',
    doc_kind   TEXT NOT NULL DEFAULT '',
    doc_size   INTEGER NOT NULL DEFAULT 0,
    doc_sha256 TEXT NOT NULL DEFAULT '',
    doc_path   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (plan_id, version)
);

-- Departments' special disaster-prevention plans (专项防灾减灾预案).
CREATE TABLE department_plans (
    id          INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    department  TEXT NOT NULL,
    title       TEXT NOT NULL,
    hazards     TEXT NOT NULL DEFAULT '[]',
    approved_on TEXT NOT NULL DEFAULT '',
    doc_name    TEXT NOT NULL DEFAULT '',
    doc_kind    TEXT NOT NULL DEFAULT '',
    doc_size    INTEGER NOT NULL DEFAULT 0,
    doc_sha256  TEXT NOT NULL DEFAULT '',
    doc_path    TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX department_plans_region ON department_plans (region_code, year);

-- Disaster information officers (灾害信息员): serving from since until
-- until (exclusive, '' while serving), in a village or township.
CREATE TABLE officers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    region_code TEXT NOT NULL,
    department  TEXT NOT NULL DEFAULT '',
    since       TEXT NOT NULL,
    until       TEXT NOT NULL DEFAULT '',
    user_name   TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX officers_region ON officers (region_code, until);
CREATE UNIQUE INDEX officers_phone ON officers (phone, region_code) WHERE until = '';

CREATE TABLE training_sessions (
    id          INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('city', 'county', 'township')),
    date        TEXT NOT NULL,
    topic       TEXT NOT NULL,
    hours       REAL NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX training_sessions_region ON training_sessions (region_code, date);
CREATE TABLE training_attendance (
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    officer_id INTEGER NOT NULL REFERENCES officers (id),
    date       TEXT NOT NULL,
    PRIMARY KEY (session_id, officer_id)
);
CREATE INDEX training_attendance_officer ON training_attendance (officer_id, date);

-- The eight departments of a region as organisations; a user belongs to
-- one organisation at most.
CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    contact     TEXT NOT NULL,
    phone       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (kind, region_code)
);
CREATE TABLE organisation_members (
    org_id    INTEGER NOT NULL REFERENCES organisations (id),
    user_name TEXT NOT NULL UNIQUE,
    PRIMARY KEY (org_id, user_name)
);

-- Subscriptions: each has an outbox stream (kind subscription) whose
-- messages, one per event, go out strictly one after another. The secret
-- signs the bodies; it is never shown again.
CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,
    region_code TEXT NOT NULL,
    active      INTEGER NOT NULL,
    stream_id   INTEGER NOT NULL REFERENCES streams (id),
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL,
    -- Bumped by every event written to the stream: the row lock orders
    -- concurrent publishers, so batches are numbered in commit order.
    events_written INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX subscriptions_org ON subscriptions (org_id);
CREATE UNIQUE INDEX subscriptions_stream ON subscriptions (stream_id);

-- Events recorded once per type and subject.
CREATE TABLE shared_events (
    id          INTEGER PRIMARY KEY,
    type        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    regions     TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    data        TEXT NOT NULL,
    UNIQUE (type, subject)
);

-- Pushes from departments, once per organisation and idempotency key.
CREATE TABLE inbound_pushes (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    household   TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    destination TEXT NOT NULL,
    state       TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    assignee    TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    pushed_by   TEXT NOT NULL,
    UNIQUE (org_id, key)
);
CREATE INDEX inbound_pushes_region ON inbound_pushes (region_code, received_at);

-- The project library. steps is the procedure's policy version as it was
-- when the project was proposed (a later version does not move a running
-- project); step is the current one ('' once approved or rejected).
CREATE TABLE projects (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    village_code TEXT NOT NULL,
    county_code  TEXT NOT NULL,
    fast_track   INTEGER NOT NULL,
    event        TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('in_step', 'approved', 'rejected')),
    step         TEXT NOT NULL DEFAULT '',
    steps        TEXT NOT NULL,
    policy_id    INTEGER NOT NULL,
    progress     TEXT NOT NULL DEFAULT 'not_started',
    stream_id    INTEGER NOT NULL REFERENCES streams (id),
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX projects_village ON projects (village_code, state);
CREATE TABLE project_actions (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    step       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    actor      TEXT NOT NULL,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX project_actions_project ON project_actions (project_id, id);
CREATE TABLE project_funds (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    source     TEXT NOT NULL,
    planned    REAL NOT NULL,
    allocated  REAL NOT NULL,
    spent      REAL NOT NULL,
    PRIMARY KEY (project_id, source)
);
CREATE TABLE project_beneficiaries (
    project_id   INTEGER NOT NULL REFERENCES projects (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    PRIMARY KEY (project_id, household_id)
);
CREATE INDEX project_beneficiaries_household ON project_beneficiaries (household_id);

-- Project assets and their damages by events, with the decision and its
-- approval.
CREATE TABLE assets (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    class        TEXT NOT NULL CHECK (class IN ('operating', 'public_welfare', 'household')),
    owner        TEXT NOT NULL,
    village_code TEXT NOT NULL,
    location     TEXT NOT NULL DEFAULT '',
    value        REAL NOT NULL,
    project_id   INTEGER REFERENCES projects (id),
    state        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL
);
CREATE INDEX assets_village ON assets (village_code, state);
CREATE TABLE asset_damages (
    id            INTEGER PRIMARY KEY,
    asset_id      INTEGER NOT NULL REFERENCES assets (id),
    event         TEXT NOT NULL,
    date          TEXT NOT NULL,
    loss          REAL NOT NULL,
    description   TEXT NOT NULL,
    decision      TEXT NOT NULL DEFAULT '',
    decision_note TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT '',
    proposed_by   TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    decided_at    TIMESTAMP,
    record        TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX asset_damages_asset ON asset_damages (asset_id);
CREATE INDEX asset_damages_event ON asset_damages (event);

-- Insurance: products, policies households hold, claims with payouts.
CREATE TABLE insurance_products (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    insurer         TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    cover           REAL NOT NULL,
    premium         REAL NOT NULL,
    payer           TEXT NOT NULL,
    household_share REAL NOT NULL DEFAULT 0,
    perils          TEXT NOT NULL DEFAULT '[]',
    created_at      TIMESTAMP NOT NULL
);
CREATE TABLE insurance_policies (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES insurance_products (id),
    number       TEXT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    from_date    TEXT NOT NULL,
    to_date      TEXT NOT NULL,
    cover        REAL NOT NULL,
    source       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (product_id, number)
);
CREATE INDEX insurance_policies_household ON insurance_policies (household_id, to_date);
CREATE INDEX insurance_policies_village ON insurance_policies (village_code);
CREATE TABLE insurance_claims (
    id             INTEGER PRIMARY KEY,
    policy_id      INTEGER NOT NULL REFERENCES insurance_policies (id),
    household_id   INTEGER NOT NULL REFERENCES households (id),
    village_code   TEXT NOT NULL,
    event          TEXT NOT NULL DEFAULT '',
    loss_report_id INTEGER,
    filed_on       TEXT NOT NULL,
    claimed        REAL NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('filed', 'paid', 'refused')),
    payout         REAL NOT NULL DEFAULT 0,
    paid_on        TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    created_by     TEXT NOT NULL
);
CREATE INDEX insurance_claims_household ON insurance_claims (household_id, filed_on);
CREATE INDEX insurance_claims_village ON insurance_claims (village_code);

-- Publicity events; the yearly calendar proposes one per county, theme
-- and year.
CREATE TABLE publicity_events (
    id            INTEGER PRIMARY KEY,
    theme         TEXT NOT NULL,
    title         TEXT NOT NULL,
    county_code   TEXT NOT NULL,
    township_code TEXT NOT NULL DEFAULT '',
    year          INTEGER NOT NULL,
    date          TEXT NOT NULL,
    place         TEXT NOT NULL DEFAULT '',
    organiser     TEXT NOT NULL DEFAULT '',
    audience      INTEGER NOT NULL DEFAULT 0,
    materials     TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL CHECK (state IN ('proposed', 'planned', 'held', 'dropped')),
    from_calendar INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX publicity_events_county ON publicity_events (county_code, year);
CREATE UNIQUE INDEX publicity_events_calendar ON publicity_events (county_code, theme, year) WHERE from_calendar = 1;

-- Policy defaults, each with its source.
INSERT INTO policies (key, region_code, value, unit, effective_from, source, created_at, data) VALUES
('plan.schedule', '000000000000', 0, 'month/day', '2023-01-01',
 '张掖市 2023年2月8日 八部门通知 三(二)：每年1月前以县为单位制定防范因灾导致区域性、规模性返贫预案（截止 1月1日前）；提醒自上年12月1日起、每7天一次为 backstop 默认，可按地方要求调整',
 '2026-01-01 00:00:00+00:00', '{"due_month":1,"due_day":1,"remind_month":12,"remind_day":1,"remind_every_days":7}'),
('plan.checklist', '000000000000', 0, 'items', '2023-01-01',
 '通知 三(二) 与 issue 13：分灾种风险分析、重点人群名单摘要、预警与发布安排、应对措施、救灾物资储备、责任人（地方可增减）',
 '2026-01-01 00:00:00+00:00', '[{"code":"risk_analysis","zh":"分灾种风险分析","en":"risk analysis by hazard","required":true},{"code":"key_groups","zh":"重点人群名单摘要","en":"key-group roster summary","required":true},{"code":"warning_release","zh":"预警与发布安排","en":"warning and release arrangements","required":true},{"code":"response","zh":"应对措施","en":"response measures","required":true},{"code":"relief_stock","zh":"救灾物资储备","en":"relief stock","required":true},{"code":"responsible","zh":"责任人","en":"responsible persons","required":true}]'),
('officer.training_every_months', '000000000000', 12, 'months', '2023-01-01',
 'backstop 默认：灾害信息员每年至少参加一次培训（通知 三(一) 推进分级培训；周期按地方要求调整）', '2026-01-01 00:00:00+00:00', ''),
('project.types', '000000000000', 0, 'items', '2023-01-01',
 '通知 三(三)：产业、就业帮扶，农村小型公益性基础设施修复，防灾减灾工程建设；其他类型地方可增', '2026-01-01 00:00:00+00:00',
 '[{"code":"industry","zh":"产业","en":"industry"},{"code":"employment","zh":"就业","en":"employment"},{"code":"infrastructure_repair","zh":"小型公益性基础设施修复","en":"repair of small public-welfare infrastructure"},{"code":"disaster_prevention","zh":"防灾减灾工程","en":"disaster-prevention works"},{"code":"housing","zh":"住房安全","en":"housing safety"},{"code":"water","zh":"饮水安全","en":"drinking water"},{"code":"other","zh":"其他","en":"other"}]'),
('project.fund_sources', '000000000000', 0, 'items', '2023-01-01',
 '通知 三(三)：财政衔接推进乡村振兴补助资金；其他来源为常见分类，地方可增', '2026-01-01 00:00:00+00:00',
 '[{"code":"linkage_subsidy","zh":"衔接推进乡村振兴补助资金","en":"rural revitalisation linkage subsidy"},{"code":"other_fiscal","zh":"其他财政资金","en":"other fiscal funds"},{"code":"east_west","zh":"东西部协作资金","en":"east-west cooperation funds"},{"code":"social","zh":"社会帮扶资金","en":"social assistance funds"},{"code":"credit","zh":"金融信贷资金","en":"credit"},{"code":"self_raised","zh":"群众自筹","en":"raised by the villagers"}]'),
('project.steps', '000000000000', 0, 'steps', '2023-01-01',
 'backstop 默认：村申报后乡镇审核（10个工作日）、县级审批入库（15个工作日）；时限未见公开规定，按地方要求调整', '2026-01-01 00:00:00+00:00',
 '[{"code":"township_review","zh":"乡镇审核","en":"township review","role":"township","limit":10,"unit":"workdays"},{"code":"county_approval","zh":"县级审批入库","en":"county approval into the library","role":"county","limit":15,"unit":"workdays"}]'),
('project.fast_steps', '000000000000', 0, 'steps', '2023-01-01',
 '通知 三(三)：及时将符合条件的应对灾情新增项目纳入项目库，优化入库程序；时限（乡镇2个、县级3个工作日）为 backstop 默认，按地方要求调整', '2026-01-01 00:00:00+00:00',
 '[{"code":"township_review","zh":"乡镇审核","en":"township review","role":"township","limit":2,"unit":"workdays"},{"code":"county_approval","zh":"县级审批入库","en":"county approval into the library","role":"county","limit":3,"unit":"workdays"}]'),
('sharing.webhook_attempts', '000000000000', 15, 'attempts', '2023-01-01',
 'backstop 默认：信息共享推送最多尝试15次（按退避约5小时），接收方长时间不可用时仍能按序补送', '2026-01-01 00:00:00+00:00', ''),
('sharing.webhook_backoff_max_minutes', '000000000000', 60, 'minutes', '2023-01-01',
 'backstop 默认：重试间隔自2秒起倍增，最长60分钟', '2026-01-01 00:00:00+00:00', ''),
('publicity.themes', '000000000000', 0, 'items', '2023-01-01',
 '通知 三(四)：全国防灾减灾日（5月12日）、全国科普日（9月第三周，日期每年公布，此为默认）、气象科普进乡村（默认世界气象日3月23日）、易地扶贫搬迁高楼消防安全（默认全国消防日11月9日）；地方可调整',
 '2026-01-01 00:00:00+00:00',
 '[{"code":"disaster_day","zh":"全国防灾减灾日","en":"national disaster prevention day","month":5,"day":12},{"code":"science_day","zh":"全国科普日","en":"national science day","month":9,"day":15},{"code":"weather_science","zh":"气象科普进乡村","en":"weather science in villages","month":3,"day":23},{"code":"high_rise_fire","zh":"易地扶贫搬迁高楼消防安全宣传","en":"fire safety in relocation high-rises","month":11,"day":9}]');
