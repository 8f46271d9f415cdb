-- After the disaster (issue 11): disaster events (灾害过程) with their
-- entered figures and reports (初报/续报/核报); screening campaigns whose
-- visits are field tasks of kind 'visit' in a stream per campaign; loss
-- reports kept in versions (a correction is a new row, the old one stays,
-- no longer current); assessments stored as made, with the policy
-- versions they used; self-reports and referrals (intake) with their
-- clocks and the attempts the abuse limits count.

CREATE TABLE disaster_events (
    id            INTEGER PRIMARY KEY,
    hazard        TEXT NOT NULL,
    title         TEXT NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    regions       TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    warning_ids   TEXT NOT NULL DEFAULT '[]',
    state         TEXT NOT NULL,
    stabilised_at TIMESTAMP,
    closed_at     TIMESTAMP,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX disaster_events_region ON disaster_events (region_code, id);

-- What the households' reports cannot give, entered per region: deaths,
-- missing, people relocated or needing relief beyond the reports, other
-- direct losses.
CREATE TABLE event_figures (
    event_id      INTEGER NOT NULL REFERENCES disaster_events (id),
    region_code   TEXT NOT NULL,
    deaths        INTEGER NOT NULL DEFAULT 0,
    missing       INTEGER NOT NULL DEFAULT 0,
    relocated     INTEGER NOT NULL DEFAULT 0,
    relief_needed INTEGER NOT NULL DEFAULT 0,
    other_loss    REAL NOT NULL DEFAULT 0,
    entered_by    TEXT NOT NULL,
    entered_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, region_code)
);

CREATE TABLE event_reports (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES disaster_events (id),
    kind        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    statistics  TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TIMESTAMP NOT NULL
);
CREATE INDEX event_reports_event ON event_reports (event_id, id);

CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    event_id     INTEGER,
    warning_id   INTEGER,
    region_code  TEXT NOT NULL,
    period_from  TEXT NOT NULL DEFAULT '',
    period_to    TEXT NOT NULL DEFAULT '',
    stream_id    INTEGER NOT NULL,
    cohorts      TEXT NOT NULL,
    checklist    TEXT NOT NULL,
    due_workdays INTEGER NOT NULL,
    due_at       TIMESTAMP NOT NULL,
    due_date     TEXT NOT NULL,
    provisional  INTEGER NOT NULL,
    policy_ids   TEXT NOT NULL,
    visits       INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX campaigns_region ON campaigns (region_code, id);
CREATE INDEX campaigns_event ON campaigns (event_id) WHERE event_id IS NOT NULL;

-- Loss reports: one row per version. chain is the first version's id; the
-- current version of a chain is the one with is_current. Events' figures
-- read only current rows of the event (the partial index).
CREATE TABLE loss_reports (
    id                INTEGER PRIMARY KEY,
    household_id      INTEGER NOT NULL REFERENCES households (id),
    village_code      TEXT NOT NULL,
    -- The household's people when the report was made (counted in 受灾人口
    -- and the like without reading the registry).
    people            INTEGER NOT NULL,
    event_id          INTEGER NOT NULL DEFAULT 0,
    campaign_id       INTEGER NOT NULL DEFAULT 0,
    task_id           INTEGER NOT NULL DEFAULT 0,
    chain             INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    is_current        INTEGER NOT NULL,
    house_damage      TEXT NOT NULL,
    house_rooms       INTEGER NOT NULL DEFAULT 0,
    house_loss        REAL NOT NULL DEFAULT 0,
    water_litres      REAL,
    water_quality_ok  INTEGER,
    water_trip_min    REAL,
    water_outage_days REAL,
    production_note   TEXT NOT NULL DEFAULT '',
    production_loss   REAL NOT NULL DEFAULT 0,
    crop_area_mu      REAL NOT NULL DEFAULT 0,
    crop_loss_pct     REAL NOT NULL DEFAULT 0,
    crop_loss         REAL NOT NULL DEFAULT 0,
    livestock_head    INTEGER NOT NULL DEFAULT 0,
    livestock_loss    REAL NOT NULL DEFAULT 0,
    wage_loss         REAL NOT NULL DEFAULT 0,
    claims            REAL NOT NULL DEFAULT 0,
    relief            REAL NOT NULL DEFAULT 0,
    medical_paid      REAL NOT NULL DEFAULT 0,
    school_cost       REAL NOT NULL DEFAULT 0,
    uninsured_members INTEGER NOT NULL DEFAULT 0,
    relocated         INTEGER NOT NULL DEFAULT 0,
    relief_needed     INTEGER NOT NULL DEFAULT 0,
    food_clothing_ok  INTEGER,
    checklist         TEXT NOT NULL DEFAULT '{}',
    note              TEXT NOT NULL DEFAULT '',
    lon               REAL,
    lat               REAL,
    state             TEXT NOT NULL,
    reported_by       TEXT NOT NULL,
    reported_at       TIMESTAMP NOT NULL,
    verified_by       TEXT NOT NULL DEFAULT '',
    verified_at       TIMESTAMP,
    UNIQUE (chain, version)
);
CREATE INDEX loss_reports_event ON loss_reports (event_id, village_code) WHERE is_current;
-- One current report per household and event: a second is a correction.
CREATE UNIQUE INDEX loss_reports_one ON loss_reports (household_id, event_id) WHERE is_current AND event_id <> 0;
CREATE INDEX loss_reports_household ON loss_reports (household_id, id);

-- Photos are files under the data directory named by their SHA-256; the
-- row keeps the reference.
CREATE TABLE loss_photos (
    report_id    INTEGER NOT NULL REFERENCES loss_reports (id),
    hash         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (report_id, hash)
);

-- Assessments as made: the whole judgement (reasons with figures, policy
-- ids) in data; the columns are what lists sort and filter by. One
-- current assessment per household: the latest.
CREATE TABLE assessments (
    id             INTEGER PRIMARY KEY,
    household_id   INTEGER NOT NULL REFERENCES households (id),
    village_code   TEXT NOT NULL,
    loss_report_id INTEGER NOT NULL REFERENCES loss_reports (id),
    event_id       INTEGER NOT NULL DEFAULT 0,
    at_risk        INTEGER NOT NULL,
    score          REAL NOT NULL,
    is_current     INTEGER NOT NULL,
    report_date    TEXT NOT NULL,
    data           TEXT NOT NULL,
    assessed_at    TIMESTAMP NOT NULL
);
CREATE INDEX assessments_household ON assessments (household_id) WHERE is_current;
-- The at-risk queue reads this index only (and the registry's village
-- index for the monitored), then fetches a page.
CREATE INDEX assessments_at_risk ON assessments (village_code, report_date, household_id, id) WHERE is_current AND at_risk;
CREATE INDEX assessments_rank ON assessments (village_code, score) WHERE is_current;
-- The monitored households of a region, for the at-risk queue: a small
-- index (the monitored are a few percent), covering, so that a county's
-- queue reads no household row. (Group bit 2 is 监测对象, backstop.GroupMonitored;
-- a roster's initial load drops and rebuilds it with the others.)
CREATE INDEX households_monitored ON households (village_code) WHERE NOT deleted AND (groups & 2) <> 0;

-- Self-reports and referrals. id_number is kept whole (it matches the
-- registry and merges duplicates) and shown masked.
CREATE TABLE intake_items (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL,
    department   TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    village_code TEXT NOT NULL,
    name         TEXT NOT NULL,
    phone        TEXT NOT NULL DEFAULT '',
    id_number    TEXT NOT NULL,
    difficulty   TEXT NOT NULL DEFAULT '',
    risk_type    TEXT NOT NULL DEFAULT '',
    consent      INTEGER NOT NULL,
    matched      INTEGER NOT NULL,
    household_id INTEGER,
    state        TEXT NOT NULL,
    merged       INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT '',
    due_check    TEXT NOT NULL,
    due_answer   TEXT NOT NULL,
    due_approval TEXT NOT NULL,
    policy_ids   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX intake_items_village ON intake_items (village_code, id);
-- One open item per person: a second report by the same ID number merges
-- into it (two at once: the second's insert fails and merges).
CREATE UNIQUE INDEX intake_items_open ON intake_items (id_number) WHERE state NOT IN ('approved', 'rejected');

-- Every accepted public report, by hashed address and phone, for the abuse
-- limits (counted over the last day).
CREATE TABLE intake_attempts (
    addr_key  TEXT NOT NULL,
    phone_key TEXT NOT NULL,
    at        TIMESTAMP NOT NULL
);
CREATE INDEX intake_attempts_addr ON intake_attempts (addr_key, at);
CREATE INDEX intake_attempts_phone ON intake_attempts (phone_key, at);

-- Seeded policy versions, each with its source; where no source was
-- found the note says "本地默认（未核实）" and the UI shows it.
INSERT INTO policies (key, region_code, value, data, unit, effective_from, source, created_at) VALUES
('screening.must_visit.post_disaster', '000000000000', 0, '[{"code": "tekun_dispersed", "zh": "分散供养特困人员"}, {"code": "dibao", "zh": "低保对象"}, {"code": "formerly_poor", "zh": "脱贫户"}, {"code": "monitored", "zh": "监测对象"}, {"code": "disability", "zh": "残疾人家庭"}, {"code": "low_income", "zh": "低收入家庭"}, {"code": "loss_reported", "zh": "本次灾害中报告受灾的农户"}]', 'rules', '2023-01-01', '本地默认（未核实）：张掖“六必访”的具体名单未找到出处（POST-DISASTER.md）；按通知二(三)所列受灾特殊困难群体（分散供养特困人员、低保对象、脱贫人口、监测户、残疾人家庭、低收入家庭）并加上报告受灾的农户设定，县区可修改', '2026-01-01 00:00:00+00:00'),
('screening.must_visit.pre_season', '000000000000', 0, '[{"code": "tekun_dispersed", "zh": "分散供养特困人员"}, {"code": "dibao", "zh": "低保对象"}, {"code": "formerly_poor", "zh": "脱贫户"}, {"code": "monitored", "zh": "监测对象"}, {"code": "disability", "zh": "残疾人家庭"}, {"code": "low_income", "zh": "低收入家庭"}]', 'rules', '2023-01-01', '本地默认（未核实）：“六必访”具体名单未找到出处；按通知二(三)所列重点群体设定，县区可修改', '2026-01-01 00:00:00+00:00'),
('screening.must_visit.fire_hazard', '000000000000', 0, '[{"code": "relocation_high_rise", "zh": "易地扶贫搬迁高楼住户"}]', 'rules', '2023-01-01', '本地默认（未核实）：通知二(二)易地扶贫搬迁高楼火灾隐患排查，走访高楼全部住户', '2026-01-01 00:00:00+00:00'),
('screening.must_check.post_disaster', '000000000000', 0, '[{"code": "income_change", "zh": "收入变化", "required": true}, {"code": "rigid_costs", "zh": "医疗和教育刚性支出", "required": true}, {"code": "compulsory_education", "zh": "义务教育", "required": true}, {"code": "basic_medical", "zh": "基本医疗", "required": true}, {"code": "housing_safety", "zh": "住房安全", "required": true}, {"code": "water_safety", "zh": "饮水安全", "required": true}]', 'items', '2023-01-01', '本地默认（未核实）：“六必查”具体清单未找到出处（POST-DISASTER.md）；按issue 11所列收入变化、医疗和教育刚性支出、义务教育、基本医疗、住房安全、饮水安全设定', '2026-01-01 00:00:00+00:00'),
('screening.must_check.pre_season', '000000000000', 0, '[{"code": "income_change", "zh": "收入变化", "required": true}, {"code": "rigid_costs", "zh": "医疗和教育刚性支出", "required": true}, {"code": "compulsory_education", "zh": "义务教育", "required": true}, {"code": "basic_medical", "zh": "基本医疗", "required": true}, {"code": "housing_safety", "zh": "住房安全", "required": true}, {"code": "water_safety", "zh": "饮水安全", "required": true}]', 'items', '2023-01-01', '本地默认（未核实）：“六必查”具体清单未找到出处；同灾后排查清单', '2026-01-01 00:00:00+00:00'),
('screening.must_check.fire_hazard', '000000000000', 0, '[{"code": "fire_escape", "zh": "疏散通道、安全出口畅通，无堆放杂物", "required": true}, {"code": "extinguisher", "zh": "灭火器等消防器材配备完好有效", "required": true}, {"code": "wiring", "zh": "电气线路无私拉乱接、无老化破损", "required": true}, {"code": "ebike_charging", "zh": "电动自行车不在楼道、户内停放充电", "required": true}, {"code": "gas", "zh": "燃气软管、阀门完好，用气安全", "required": true}, {"code": "escape_knowledge", "zh": "住户会报警、会使用灭火器、会逃生", "required": true}, {"code": "housing_safety", "zh": "住房安全", "required": true}]', 'items', '2023-01-01', '本地默认（未核实）：参照《高层民用建筑消防安全管理规定》（应急管理部令第5号，2021）中疏散通道、消防器材、电气线路、电动自行车停放充电、燃气和住户“三懂三会”等要求拟定，当地消防部门可修改', '2026-01-01 00:00:00+00:00'),
('screening.visit_due_workdays', '000000000000', 10, '', 'workdays', '2023-01-01', '本地默认（未核实）：排查走访在10个工作日内完成；张掖未公布时限，县区可修改', '2026-01-01 00:00:00+00:00'),
('screening.water_standard', '000000000000', 0, '{"litres_per_person_day": 35, "quality_tested": 1, "trip_minutes": 20, "outage_days_per_year": 36}', 'standard', '2023-01-01', '农村饮水安全评价标准（MISSION.md）：水量≥35升/人·日、水质经检测合格、单次取水往返≤20分钟（或水平800米/垂直80米）、年停水≤36天；干旱缺水地区水量标准为≥20升/人·日：为这些地区另加一个版本（哪些县区属干旱缺水地区未核实）', '2026-01-01 00:00:00+00:00'),
('screening.crop_loss_classes', '000000000000', 0, '{"affected": 10, "damaged": 30, "failed": 80}', 'percent', '2023-01-01', '自然灾害情况统计：农作物因灾减产1成以上为受灾，3成以上为成灾，8成以上为绝收（MISSION.md）', '2026-01-01 00:00:00+00:00'),
('risk.medical_cost_share', '000000000000', 0.5, '', 'share of net income', '2023-01-01', '本地默认（未核实）：合规自付医疗费用超过家庭年纯收入50%视为基本医疗问题；甘肃或张掖的比例未找到出处，县区可修改', '2026-01-01 00:00:00+00:00'),
('risk.compulsory_school_age', '000000000000', 0, '{"from": 6, "to": 15}', 'years of age', '2023-01-01', '《中华人民共和国义务教育法》第十一条：年满六周岁入学，九年义务教育，按6至15周岁计', '2026-01-01 00:00:00+00:00'),
('risk.types', '000000000000', 0, '[{"code": "100A27001", "zh": "因病"}, {"code": "100A27002", "zh": "因学"}, {"code": "100A27003", "zh": "因安全住房"}, {"code": "100A27004", "zh": "因安全饮水"}, {"code": "100A27005", "zh": "因残"}, {"code": "100A27006", "zh": "因自然灾害"}, {"code": "100A27007", "zh": "因意外事故"}, {"code": "100A27008", "zh": "因产业项目失败"}, {"code": "100A27009", "zh": "因务工就业不稳"}, {"code": "100A27010", "zh": "缺劳动力"}, {"code": "100A27011", "zh": "其他"}]', 'codes', '2023-01-01', '代码表100A27（POST-DISASTER.md，名称与全国系统导出一致；100A27005导出写“因残”）', '2026-01-01 00:00:00+00:00'),
('risk.disaster_subitems', '000000000000', 0, '[{"code": "rainstorm", "zh": "洪涝灾害"}, {"code": "flood", "zh": "洪涝灾害"}, {"code": "landslide", "zh": "地质灾害"}, {"code": "debris_flow", "zh": "地质灾害"}, {"code": "collapse", "zh": "地质灾害"}, {"code": "geological", "zh": "地质灾害"}, {"code": "drought", "zh": "旱灾"}, {"code": "earthquake", "zh": "地震灾害"}, {"code": "snowstorm", "zh": "气象灾害"}, {"code": "cold_wave", "zh": "气象灾害"}, {"code": "gale", "zh": "气象灾害"}, {"code": "sandstorm", "zh": "气象灾害"}, {"code": "heat_wave", "zh": "气象灾害"}, {"code": "lightning", "zh": "气象灾害"}, {"code": "hail", "zh": "气象灾害"}, {"code": "frost", "zh": "气象灾害"}, {"code": "fog", "zh": "气象灾害"}, {"code": "road_icing", "zh": "气象灾害"}, {"code": "fire_danger", "zh": "其他"}, {"code": "fire", "zh": "其他"}, {"code": "other", "zh": "其他"}]', 'codes', '2023-01-01', '因自然灾害的细项（洪涝灾害/地质灾害/旱灾/生物灾害/气象灾害/地震灾害/因疫情/其他，POST-DISASTER.md）；灾种与细项的对应为本地默认，可修改', '2026-01-01 00:00:00+00:00'),
('risk.reason_weights', '000000000000', 0, '{"income_below_line": 40, "housing_unsafe": 30, "water_unsafe": 20, "schooling": 20, "medical": 20, "basic_needs": 30}', 'points', '2023-01-01', 'backstop默认：风险排序权重（仅用于排序，不影响是否存在风险），可修改', '2026-01-01 00:00:00+00:00'),
('intake.steps', '000000000000', 0, '[{"code": "check", "zh": "村级核实（入户核查）", "role": "village", "limit": 5, "unit": "workdays"}, {"code": "answer", "zh": "答复报告人", "role": "village", "limit": 5, "unit": "workdays"}, {"code": "approval", "zh": "村级评议公示、乡镇审核、县级审批", "role": "county", "limit": 15, "unit": "workdays"}]', 'steps', '2023-01-01', '甘肃“一键报贫”（2023-02-20起）：村级5个工作日内核实，核实后5个工作日内答复报告人，15个工作日内完成评议公示、乡镇审核和县级审批（MISSION.md、POST-DISASTER.md）', '2026-01-01 00:00:00+00:00'),
('intake.limit_per_address_day', '000000000000', 10, '', 'reports/day', '2023-01-01', 'backstop默认：同一网络地址每天最多10次报贫（村委会共用网络时可调高）', '2026-01-01 00:00:00+00:00'),
('intake.limit_per_phone_day', '000000000000', 3, '', 'reports/day', '2023-01-01', 'backstop默认：同一手机号每天最多3次报贫', '2026-01-01 00:00:00+00:00'),
('intake.referral_departments', '000000000000', 0, '[{"code": "civil_affairs", "zh": "民政部门"}, {"code": "medical_insurance", "zh": "医疗保障部门"}, {"code": "emergency_management", "zh": "应急管理部门"}, {"code": "education", "zh": "教育部门"}, {"code": "disabled_federation", "zh": "残疾人联合会"}]', 'codes', '2023-01-01', 'issue 11：民政、医保、应急管理、教育、残联推送风险线索', '2026-01-01 00:00:00+00:00'),
('event.initial_report_hours', '000000000000', 2, '', 'hours', '2023-01-01', '自然灾害情况统计：灾害发生后2小时内初报（MISSION.md）', '2026-01-01 00:00:00+00:00'),
('event.followup_report_hours', '000000000000', 24, '', 'hours', '2023-01-01', '本地默认（未核实）：灾情稳定前每24小时续报一次；县级续报间隔未核实，可修改', '2026-01-01 00:00:00+00:00'),
('event.final_report_workdays', '000000000000', 5, '', 'workdays', '2023-01-01', '本地默认（未核实）：灾情稳定后5个工作日内核报；统计调查制度中县级核报时限未核实，可修改', '2026-01-01 00:00:00+00:00');
