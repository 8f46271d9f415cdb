-- Microcredit for people lifted out of poverty (脱贫人口小额信贷, issue 12
-- item 5): loans of households, the papers granted missing, and the
-- policy rows of their rules.
CREATE TABLE loans (
    id                   INTEGER PRIMARY KEY,
    household_id         INTEGER NOT NULL REFERENCES households (id),
    village_code         TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('new', 'top_up', 'extension', 'renewal')),
    parent_id            INTEGER REFERENCES loans (id),
    bank                 TEXT NOT NULL,
    amount               REAL NOT NULL,
    term_months          INTEGER NOT NULL,
    rate                 REAL NOT NULL,
    purpose              TEXT NOT NULL,
    purpose_name         TEXT NOT NULL,
    borrower_member      TEXT NOT NULL,
    borrower_name        TEXT NOT NULL,
    borrower_id_number   TEXT NOT NULL,
    borrower_age         INTEGER NOT NULL,
    applied_on           TEXT NOT NULL,
    granted_on           TEXT NOT NULL DEFAULT '',
    first_due_on         TEXT NOT NULL DEFAULT '',
    due_on               TEXT NOT NULL DEFAULT '',
    repaid_on            TEXT NOT NULL DEFAULT '',
    state                TEXT NOT NULL CHECK (state IN ('applied', 'granted', 'extended', 'repaid', 'refused')),
    subsidized_principal REAL NOT NULL,
    subsidy_pct          REAL NOT NULL,
    policy_ids           TEXT NOT NULL,
    exception_rules      TEXT NOT NULL DEFAULT '',
    exception_reason     TEXT NOT NULL DEFAULT '',
    exception_by         TEXT NOT NULL DEFAULT '',
    stream_id            INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    created_by           TEXT NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX loans_village ON loans (village_code, state, due_on, first_due_on);
CREATE INDEX loans_household ON loans (household_id);
CREATE INDEX loans_parent ON loans (parent_id);

CREATE TABLE loan_papers (
    loan_id   INTEGER NOT NULL REFERENCES loans (id),
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    due_on    TEXT NOT NULL,
    filled_on TEXT NOT NULL DEFAULT '',
    filled_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (loan_id, code)
);

-- Policy rows of microcredit (issue 12 item 5). Caps, term and subsidy
-- periods are those of the issue (MISSION.md R9, notice 三(三)); rows the
-- national documents give no figure for here are marked local defaults.
INSERT INTO policies (key, region_code, value, data, unit, effective_from, effective_to, source, created_at) VALUES
('loans.amount_cap', '000000000000', 50000, '', 'yuan', '2021-01-01', NULL, '银保监会等《关于深入扎实做好过渡期脱贫人口小额信贷工作的通知》（银保监发〔2021〕6号）：5万元以下；issue 12 第5项', '2026-01-01 00:00:00+00:00'),
('loans.household_cap', '000000000000', 100000, '', 'yuan', '2021-01-01', NULL, 'issue 12 第5项：追加贷款后户均不超过10万元', '2026-01-01 00:00:00+00:00'),
('loans.subsidy_cap', '000000000000', 50000, '', 'yuan', '2021-01-01', NULL, 'issue 12 第5项：超过5万元的部分不予贴息', '2026-01-01 00:00:00+00:00'),
('loans.term_max_months', '000000000000', 36, '', 'months', '2021-01-01', NULL, '银保监发〔2021〕6号：3年期以内；issue 12 第5项', '2026-01-01 00:00:00+00:00'),
('loans.interest_subsidy_pct', '000000000000', 100, '', 'percent', '2021-01-01', '2024-01-01', 'issue 12 第5项：2023年底前全额贴息', '2026-01-01 00:00:00+00:00'),
('loans.interest_subsidy_pct', '000000000000', 70, '', 'percent', '2024-01-01', '2026-01-01', 'issue 12 第5项：2024—2025年按利息的70%贴息；此后年份须另增政策行（缺失即报错）', '2026-01-01 00:00:00+00:00'),
('loans.rate_pct', '000000000000', 3.45, '', 'percent/year', '2023-08-21', NULL, '本地默认（未核实）：执行一年期贷款市场报价利率（LPR），2023年8月为3.45%；银行另有约定时以合同为准', '2026-01-01 00:00:00+00:00'),
('loans.rate_pct', '000000000000', 3.1, '', 'percent/year', '2024-10-21', NULL, '本地默认（未核实）：一年期LPR 2024年10月为3.10%', '2026-01-01 00:00:00+00:00'),
('loans.rate_pct', '000000000000', 3.0, '', 'percent/year', '2025-05-20', NULL, '本地默认（未核实）：一年期LPR 2025年5月为3.00%', '2026-01-01 00:00:00+00:00'),
('loans.borrower_age', '000000000000', 0, '{"from": 18, "to": 65}', 'years of age', '2021-01-01', NULL, 'issue 12 第5项：借款人申请时年满18周岁、不超过65周岁（按身份证号计算）', '2026-01-01 00:00:00+00:00'),
('loans.purposes', '000000000000', 0, '[{"code": "planting", "zh": "种植业"}, {"code": "breeding", "zh": "养殖业"}, {"code": "processing", "zh": "农产品加工"}, {"code": "commerce", "zh": "商贸流通"}, {"code": "rural_tourism", "zh": "乡村旅游"}, {"code": "transport", "zh": "运输"}, {"code": "handicraft", "zh": "手工业"}, {"code": "other_production", "zh": "其他生产经营"}]', 'codes', '2021-01-01', NULL, '银保监发〔2021〕6号：用于发展生产和开展经营，不能用于结婚、建房、理财、购置家庭用品等非生产性支出；具体用途列表为本地默认（未核实）', '2026-01-01 00:00:00+00:00'),
('loans.extension_max_months', '000000000000', 12, '', 'months', '2021-01-01', NULL, '本地默认（未核实）：受灾等非主观原因不能按期还款的可展期，展期期限暂按不超过12个月设定，县区可修改', '2026-01-01 00:00:00+00:00'),
('loans.extension_max_times', '000000000000', 1, '', 'times', '2021-01-01', NULL, '本地默认（未核实）：一笔贷款展期一次', '2026-01-01 00:00:00+00:00'),
('loans.renewal_max_times', '000000000000', 1, '', 'times', '2021-01-01', NULL, '本地默认（未核实）：一笔贷款续贷一次', '2026-01-01 00:00:00+00:00'),
('loans.papers', '000000000000', 0, '[{"code": "application", "zh": "贷款申请书", "required": true}, {"code": "id_copy", "zh": "借款人身份证复印件", "required": true}, {"code": "hukou_copy", "zh": "户口簿复印件", "required": true}, {"code": "village_opinion", "zh": "村委会推荐意见"}, {"code": "production_plan", "zh": "生产经营计划"}, {"code": "contract", "zh": "借款合同", "required": true}]', 'items', '2021-01-01', NULL, '本地默认（未核实）：小额信贷常见申请材料；容缺办理、先办后补时从中列出缺少的材料', '2026-01-01 00:00:00+00:00'),
('loans.papers_due_workdays', '000000000000', 20, '', 'workdays', '2021-01-01', NULL, '本地默认（未核实）：容缺材料20个工作日内补齐', '2026-01-01 00:00:00+00:00'),
('loans.instalment_months', '000000000000', 3, '', 'months', '2021-01-01', NULL, '本地默认（未核实）：按季付息、到期还本', '2026-01-01 00:00:00+00:00'),
('loans.reminder_days', '000000000000', 7, '', 'days', '2021-01-01', NULL, '本地默认（未核实）：每期还款付息前7天提醒帮扶责任人', '2026-01-01 00:00:00+00:00'),
('loans.difficulty_loss_share', '000000000000', 0.3, '', 'share of loan amount', '2021-01-01', NULL, '本地默认（未核实）：灾损报告无“还款困难”项；生产性损失（生产设施、农作物、牲畜、务工，扣除理赔）达到贷款金额30%即视为还款困难，建议展期', '2026-01-01 00:00:00+00:00');
