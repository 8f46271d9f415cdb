-- Cases (issue 12; notice 二(三), 二(四)): one identification episode of an
-- at-risk household per row, carried through a procedure that is policy
-- data (case_steps records each outcome), or made active at once on the
-- green channel with the steps not yet done as procedure debts
-- (case_debts, each with its clock); the measures of its assistance plan.
-- Nothing here is ever deleted: a refusal, a clearing, a 回退 and a 再标注
-- are states and rows. (The other engine's 0014 is the same schema.)

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    -- No foreign key to households: an initial roster load sets the
    -- households' keys aside (as monitoring_decisions).
    household_id       INTEGER NOT NULL,
    household          TEXT NOT NULL,
    village_code       TEXT NOT NULL,
    source             TEXT NOT NULL CHECK (source IN ('assessment', 'self_report', 'referral', 'manual')),
    source_id          INTEGER NOT NULL DEFAULT 0,
    procedure_name     TEXT NOT NULL,
    procedure_zh       TEXT NOT NULL DEFAULT '',
    policy_id          INTEGER NOT NULL,
    procedure_steps    TEXT NOT NULL,
    clearing_procedure TEXT NOT NULL DEFAULT '',
    clearing_policy_id INTEGER NOT NULL DEFAULT 0,
    clearing_steps     TEXT NOT NULL DEFAULT '[]',
    state              TEXT NOT NULL CHECK (state IN ('in_procedure', 'active', 'clearing', 'cleared', 'held', 'refused')),
    step               TEXT NOT NULL DEFAULT '',
    green_channel      INTEGER NOT NULL,
    loss_report_id     INTEGER NOT NULL DEFAULT 0,
    monitor_type       TEXT NOT NULL DEFAULT '',
    identified_on      TEXT NOT NULL DEFAULT '',
    risk_types         TEXT NOT NULL DEFAULT '[]',
    disaster_sub_item  TEXT NOT NULL DEFAULT '',
    disaster_note      TEXT NOT NULL DEFAULT '',
    identification     TEXT NOT NULL DEFAULT '',
    episode            INTEGER NOT NULL,
    previous_case_id   INTEGER REFERENCES cases (id),
    clearing           TEXT NOT NULL DEFAULT '',
    clear_way          TEXT NOT NULL DEFAULT '',
    cleared_on         TEXT NOT NULL DEFAULT '',
    refused_at         TEXT NOT NULL DEFAULT '',
    note               TEXT NOT NULL DEFAULT '',
    open_debts         INTEGER NOT NULL DEFAULT 0,
    -- The stream its escalations (overdue steps and debts) go out in.
    stream_id          INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    created_by         TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX cases_village ON cases (village_code, id);
CREATE INDEX cases_household ON cases (household_id, id);
CREATE INDEX cases_state ON cases (state, village_code);
-- One open case per household: a second at once loses (ECONFLICT).
CREATE UNIQUE INDEX cases_one_open ON cases (household_id) WHERE state IN ('in_procedure', 'active', 'clearing', 'held');

-- Each step outcome as recorded; a step done again after a 复核 is a new
-- row. Attachments (a consent scan or photo) are files under the data
-- directory named by their SHA-256, the row keeps the references.
CREATE TABLE case_steps (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    phase       TEXT NOT NULL CHECK (phase IN ('identify', 'clear')),
    step        TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    role        TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'recheck', 'revert')),
    done_by     TEXT NOT NULL,
    done_at     TIMESTAMP NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    staff       TEXT NOT NULL DEFAULT '[]',
    answers     TEXT NOT NULL DEFAULT '[]',
    notice_from TEXT NOT NULL DEFAULT '',
    notice_to   TEXT NOT NULL DEFAULT '',
    policy_id   INTEGER NOT NULL DEFAULT 0,
    late        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX case_steps_case ON case_steps (case_id, id);

-- Procedure debts (程序待补) of green-channel cases: paid by doing the step.
CREATE TABLE case_debts (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    step       TEXT NOT NULL,
    zh         TEXT NOT NULL DEFAULT '',
    due_date   TEXT NOT NULL,
    due_at     TIMESTAMP NOT NULL,
    clock_id   INTEGER NOT NULL DEFAULT 0,
    paid_at    TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, step)
);
CREATE INDEX case_debts_open ON case_debts (due_at) WHERE paid_at IS NULL;

-- The measures of a case's assistance plan (一户一策); each department
-- reads its own queue (department, status).
CREATE TABLE measures (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    household    TEXT NOT NULL,
    village_code TEXT NOT NULL,
    category     TEXT NOT NULL,
    item         TEXT NOT NULL,
    department   TEXT NOT NULL DEFAULT '',
    person       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'refused')),
    amount       REAL,
    planned_on   TEXT NOT NULL DEFAULT '',
    started_on   TEXT NOT NULL DEFAULT '',
    done_on      TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    rule         TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX measures_case ON measures (case_id, id);
CREATE INDEX measures_department ON measures (department, status, village_code);
CREATE INDEX measures_village ON measures (village_code, status);

-- Seeded policy versions, each with its source; where no source was found
-- the note says "本地默认（未核实）". A county's own procedure (a variant, or
-- Zhangye's "831" working mechanism) is a new case.procedures.<name> row and
-- a case.procedure row for that county naming it.
INSERT INTO policies (key, region_code, value, data, unit, effective_from, source, created_at) VALUES
('case.procedure', '620000000000', 0, '[{"code": "gansu_normal", "zh": "甘肃省防止返贫监测对象识别程序"}]', 'name', '2023-01-01', '甘肃省监测对象识别的一般程序（POST-DISASTER.md）；县区设定自己的程序时为本县区另加一个版本', '2026-01-01 00:00:00+00:00'),
('case.clearing_procedure', '620000000000', 0, '[{"code": "gansu_clearing", "zh": "甘肃省监测对象风险消除程序"}]', 'name', '2023-01-01', '甘肃省风险消除程序（POST-DISASTER.md）；县区设定自己的程序时为本县区另加一个版本', '2026-01-01 00:00:00+00:00'),
('case.procedures.gansu_normal', '620000000000', 0, '[{"code": "application", "zh": "农户申请并签署家庭经济状况核查授权书", "role": "village", "limit": 2, "unit": "workdays", "kind": "application"}, {"code": "home_check", "zh": "入户核实（两名工作人员）", "role": "village", "limit": 3, "unit": "workdays", "kind": "home_check"}, {"code": "cross_check", "zh": "部门数据比对", "role": "township", "limit": 3, "unit": "workdays", "kind": "cross_check"}, {"code": "village_review", "zh": "村级民主评议", "role": "village", "limit": 3, "unit": "workdays"}, {"code": "notice", "zh": "村内公示", "role": "village", "limit": 7, "unit": "days", "kind": "notice"}, {"code": "township_review", "zh": "乡镇审核", "role": "township", "limit": 3, "unit": "workdays"}, {"code": "county_approval", "zh": "县级审批并公告", "role": "county", "limit": 4, "unit": "workdays", "kind": "approval"}, {"code": "national_entry", "zh": "录入全国防止返贫监测信息系统", "role": "county", "limit": 5, "unit": "workdays", "kind": "national"}]', 'steps', '2023-01-01', '甘肃：村级在报告后5个工作日内核实（申请与入户核实合计5个工作日），符合条件的在15个工作日内完成评议公示、乡镇审核和县级审批（POST-DISASTER.md“Procedures and clocks”）；步骤顺序按POST-DISASTER.md；各步时限的拆分和录入全国系统的5个工作日为本地默认（未核实），县区可修改', '2026-01-01 00:00:00+00:00'),
('case.procedures.gansu_clearing', '620000000000', 0, '[{"code": "proposal", "zh": "提出风险消除建议", "role": "village", "limit": 5, "unit": "workdays"}, {"code": "home_check", "zh": "入户核实（两名工作人员）", "role": "village", "limit": 5, "unit": "workdays", "kind": "home_check"}, {"code": "village_review", "zh": "村级民主评议", "role": "village", "limit": 3, "unit": "workdays"}, {"code": "notice", "zh": "村内公示", "role": "village", "limit": 7, "unit": "days", "kind": "notice"}, {"code": "township_check", "zh": "乡镇审核", "role": "township", "limit": 5, "unit": "workdays"}, {"code": "county_approval", "zh": "县级审批并公告", "role": "county", "limit": 5, "unit": "workdays", "kind": "approval"}, {"code": "national_mark", "zh": "在全国防止返贫监测信息系统中标注风险消除", "role": "county", "limit": 5, "unit": "workdays", "kind": "national"}]', 'steps', '2023-01-01', '风险消除程序：提出建议→入户核实→村级评议公示（不少于5天）→乡镇审核→县级审批公告→全国系统标注（POST-DISASTER.md）；各步时限为本地默认（未核实），县区可修改', '2026-01-01 00:00:00+00:00'),
('case.measure_categories', '000000000000', 0, '[{"code": "产业帮扶", "zh": "产业帮扶", "items": ["种植业", "林果业", "养殖业", "加工业", "乡村旅游", "消费帮扶", "其他"], "development": true}, {"code": "就业帮扶", "zh": "就业帮扶", "items": ["技能培训", "劳务输出", "外出务工补贴", "以工代赈", "经营主体就业", "其他"], "development": true}, {"code": "金融帮扶", "zh": "金融帮扶", "items": ["小额信贷", "其他"], "development": true}, {"code": "公益岗位帮扶", "zh": "公益岗位帮扶", "items": ["护林员", "护草员", "保洁员", "护路员", "护水员", "护边员", "护理员", "治安协调员", "其他"], "development": true}, {"code": "住房安全保障", "zh": "住房安全保障", "items": ["危房改造", "其他"]}, {"code": "饮水安全保障", "zh": "饮水安全保障", "items": ["饮水安全保障"]}, {"code": "健康帮扶", "zh": "健康帮扶", "items": ["参加城乡居民基本医疗保险个人缴费补贴", "大病保险", "医疗救助", "其他"]}, {"code": "义务教育保障", "zh": "义务教育保障", "items": ["劝返", "送教上门", "寄宿生生活补贴", "其他"]}, {"code": "教育帮扶", "zh": "教育帮扶", "items": ["雨露计划", "助学贷款", "助学金", "其他"]}, {"code": "综合保障", "zh": "综合保障", "items": ["低保", "特困供养", "临时救助", "残疾人补贴", "防贫保险", "其他"]}, {"code": "社会帮扶", "zh": "社会帮扶", "items": ["社会捐助", "其他"]}, {"code": "搬迁", "zh": "搬迁", "items": ["搬迁"]}, {"code": "生产生活条件改善", "zh": "生产生活条件改善", "items": ["生产生活条件改善"]}, {"code": "基础设施建设", "zh": "基础设施建设", "items": ["基础设施建设"]}]', 'items', '2023-01-01', '帮扶措施类别与项目（POST-DISASTER.md“Assistance measures”，名称与全国系统导出一致）；开发式帮扶为产业、就业、金融、公益岗位', '2026-01-01 00:00:00+00:00'),
('case.notice_min_days', '620000000000', 5, '', 'days', '2023-01-01', '村内公示不少于5天（POST-DISASTER.md；部分县区为7天，为该县区另加一个版本）', '2026-01-01 00:00:00+00:00'),
('case.observation_months', '000000000000', 6, '', 'months', '2023-01-01', '风险识别满半年以上方可消除风险（POST-DISASTER.md“Clearing criteria”）', '2026-01-01 00:00:00+00:00'),
('case.escalate_county_workdays', '000000000000', 3, '', 'workdays', '2023-01-01', '本地默认（未核实）：逾期后先通报乡镇，3个工作日后仍未办结通报县区', '2026-01-01 00:00:00+00:00');
