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
('assist.water_repair_workdays', '000000000000', 10, '', 'workdays', '2023-01-01', '本地默认（未核实）：饮水设施维修在10个工作日内完成；张掖未公布时限，县区可修改', '2026-01-01 00:00:00+00:00'),
('assist.measure_rules', '000000000000', 0, '[{"code": "labour_industry", "zh": "有劳动力：优先产业帮扶（开发式）", "labour": ["capable", "weak"], "category": "产业帮扶", "item": "种植业", "department": "agriculture"}, {"code": "labour_employment", "zh": "有劳动力：就业帮扶（开发式）", "labour": ["capable"], "category": "就业帮扶", "item": "劳务输出", "department": "human_resources"}, {"code": "labour_credit", "zh": "有劳动力：脱贫人口小额信贷（开发式）", "labour": ["capable"], "category": "金融帮扶", "item": "小额信贷", "department": "rural_revitalisation"}, {"code": "labour_public_post", "zh": "弱劳动力：公益岗位（开发式）", "labour": ["weak"], "category": "公益岗位帮扶", "item": "保洁员", "department": "human_resources"}, {"code": "no_labour_dibao", "zh": "整户无劳动力：转介民政部门认定低保/特困", "labour": ["none"], "category": "综合保障", "item": "低保", "department": "civil_affairs", "referral": true}, {"code": "illness", "zh": "因病：健康帮扶（医疗救助）", "risk": "100A27001", "category": "健康帮扶", "item": "医疗救助", "department": "medical_insurance"}, {"code": "schooling", "zh": "因学：义务教育保障（劝返）", "risk": "100A27002", "category": "义务教育保障", "item": "劝返", "department": "education"}, {"code": "schooling_aid", "zh": "因学：教育帮扶（雨露计划）", "risk": "100A27002", "category": "教育帮扶", "item": "雨露计划", "department": "education"}, {"code": "housing", "zh": "因安全住房：住房安全保障（危房改造）", "risk": "100A27003", "category": "住房安全保障", "item": "危房改造", "department": "housing"}, {"code": "water", "zh": "因安全饮水：饮水安全保障", "risk": "100A27004", "category": "饮水安全保障", "item": "饮水安全保障", "department": "water"}, {"code": "disability", "zh": "因残：综合保障（残疾人补贴）", "risk": "100A27005", "category": "综合保障", "item": "残疾人补贴", "department": "civil_affairs"}, {"code": "disaster", "zh": "因自然灾害：临时救助", "risk": "100A27006", "category": "综合保障", "item": "临时救助", "department": "civil_affairs"}, {"code": "accident", "zh": "因意外事故：临时救助", "risk": "100A27007", "category": "综合保障", "item": "临时救助", "department": "civil_affairs"}, {"code": "work_unstable", "zh": "因务工就业不稳：就业帮扶（技能培训）", "risk": "100A27009", "category": "就业帮扶", "item": "技能培训", "department": "human_resources"}]', 'rules', '2023-01-01', '本地默认（未核实）：按issue 12与POST-DISASTER.md的对应关系（有劳动力优先开发式帮扶；无劳动力转介民政低保/特困；因病→健康帮扶；因学→义务教育保障/教育帮扶；因安全住房→住房安全保障；因安全饮水→饮水安全保障；因残→综合保障）拟定，具体项目和负责部门县区可修改', '2026-01-01 00:00:00+00:00'),
('assist.referral_answer_workdays', '000000000000', 10, '', 'workdays', '2023-01-01', '本地默认（未核实）：民政部门对无劳动力户低保/特困转介在10个工作日内答复；甘肃或张掖时限未找到出处，县区可修改', '2026-01-01 00:00:00+00:00');
