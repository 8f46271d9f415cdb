package backstop

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// PolicyType is the shape of a policy key's value.
type PolicyType string

// Policy types.
const (
	// PolicyNumber: Value is a number in the key's unit.
	PolicyNumber PolicyType = "number"
	// PolicyTable: Data is an object of rows, each a number or an object of
	// columns to numbers, e.g. a subsidy by damage class and group.
	PolicyTable PolicyType = "table"
	// PolicyChecklist: Data is a list of items {code, zh, en?, required?},
	// e.g. the must-check list of a visit.
	PolicyChecklist PolicyType = "checklist"
	// PolicySteps: Data is a list of steps {code, zh, en?, role, limit,
	// unit}, e.g. a procedure with its clocks.
	PolicySteps PolicyType = "steps"
	// PolicyList: Data is a list of entries {code, zh, en?}, e.g. cohort
	// rules or categories.
	PolicyList PolicyType = "list"
)

// policyTypeZH names the types in refusals.
var policyTypeZH = map[PolicyType]string{PolicyNumber: "数值", PolicyTable: "表格", PolicyChecklist: "检查清单", PolicySteps: "步骤列表", PolicyList: "列表"}

// PolicyKey is a registered policy parameter: each key once, with its
// type, unit and meaning. Required keys must have a version in the
// database (their seeded default, with its source note): backstop refuses
// to start without one, rather than falling back to a constant.
type PolicyKey struct {
	Key      string
	Type     PolicyType
	Unit     string
	ZH, EN   string // what it means
	Required bool
	// Rows and Cols, when set, are the only row and column names a table
	// may use; Min and Max bound its numbers (and a number key's value).
	Rows, Cols []string
	Min, Max   float64
	// Check, when set, checks a structured value further than its type
	// (a table whose rows have different columns, say).
	Check func(data json.RawMessage) error
}

var policyKeys = map[string]*PolicyKey{}

// RegisterPolicyKey adds a key to the registry; registering one twice is
// a programming error.
func RegisterPolicyKey(k PolicyKey) {
	if _, dup := policyKeys[k.Key]; dup {
		panic("policy key registered twice: " + k.Key)
	}
	if k.Max == 0 {
		k.Max = math.MaxFloat64
	}
	policyKeys[k.Key] = &k
}

func init() {
	for _, k := range []PolicyKey{
		{Key: PolicyMonitoringLine, Type: PolicyNumber, Unit: "yuan/person/year", Required: true, Min: 1, Max: 1e6,
			ZH: "防止返贫监测范围（人均纯收入，按省、按年设定）", EN: "monitoring line: per-capita net income per year, set per province and year"},
		{Key: PolicyConfirmMinutes + string(WarningRed), Type: PolicyNumber, Unit: "minutes", Required: true, Min: 0.01, Max: 7 * 24 * 60,
			ZH: "红色预警重点人群确认时限", EN: "minutes after a red release by which key-group persons are confirmed"},
		{Key: PolicyConfirmMinutes + string(WarningOrange), Type: PolicyNumber, Unit: "minutes", Required: true, Min: 0.01, Max: 7 * 24 * 60,
			ZH: "橙色预警重点人群确认时限", EN: "minutes after an orange release by which key-group persons are confirmed"},
		{Key: PolicyConfirmMinutes + string(WarningYellow), Type: PolicyNumber, Unit: "minutes", Required: true, Min: 0.01, Max: 7 * 24 * 60,
			ZH: "黄色预警重点人群确认时限", EN: "minutes after a yellow release by which key-group persons are confirmed"},
		{Key: PolicyConfirmMinutes + string(WarningBlue), Type: PolicyNumber, Unit: "minutes", Required: true, Min: 0.01, Max: 7 * 24 * 60,
			ZH: "蓝色预警重点人群确认时限", EN: "minutes after a blue release by which key-group persons are confirmed"},
		{Key: PolicyEscalateCountyMinutes, Type: PolicyNumber, Unit: "minutes", Required: true, Min: 0.01, Max: 7 * 24 * 60,
			ZH: "通报乡镇后仍未确认、通报县区的间隔", EN: "minutes after the townships were told of the unconfirmed that the counties are told"},
		{Key: PolicyLinkValidHours, Type: PolicyNumber, Unit: "hours", Required: true, Min: 1, Max: 24 * 90,
			ZH: "帮扶责任人确认链接在截止后继续有效的小时数", EN: "hours after its work's deadline that a helper's link keeps working"},
		{Key: PolicyElderlyAge, Type: PolicyNumber, Unit: "years", Required: true, Min: 40, Max: 100,
			ZH: "独居老人的年龄起点（周岁）", EN: "age in years from which a person living alone counts as elderly"},
	} {
		RegisterPolicyKey(k)
	}
	for _, f := range []struct{ key, zh string }{
		{"tekun", "分散供养特困"}, {"elderly_alone", "独居老人"}, {"monitored", "监测对象"}, {"disability", "家中有残疾人"},
		{"dibao", "低保"}, {"formerly_poor", "脱贫户"}, {"low_income", "低收入"}, {"house_d", "D级危房"}, {"house_c", "C级危房"},
		{"earth_wood", "土木结构住房"}, {"dispersed_water", "分散供水"}, {"high_rise", "易地扶贫搬迁高楼"},
	} {
		RegisterPolicyKey(PolicyKey{Key: "vulnerability." + f.key, Type: PolicyNumber, Unit: "points", Required: true, Max: 1000,
			ZH: "受影响农户排序权重：" + f.zh, EN: "weight of a factor in the exposed households' ranking: " + f.key})
	}
}

// policyKeyFamilies are keys registered by prefix: prefix + a name of
// lowercase letters, digits and underscores is a key of the family's type
// (e.g. case.procedures.<name>, a named procedure set up without code).
var policyKeyFamilies = map[string]*PolicyKey{}

// RegisterPolicyKeyFamily registers every key prefix + name.
func RegisterPolicyKeyFamily(k PolicyKey) {
	if _, dup := policyKeyFamilies[k.Key]; dup {
		panic("policy key family registered twice: " + k.Key)
	}
	if k.Max == 0 {
		k.Max = math.MaxFloat64
	}
	policyKeyFamilies[k.Key] = &k
}

// PolicyKeyOf returns a registered key.
func PolicyKeyOf(key string) (*PolicyKey, bool) {
	if k, ok := policyKeys[key]; ok {
		return k, ok
	}
	for prefix, fam := range policyKeyFamilies {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok || name == "" || len(name) > 40 {
			continue
		}
		if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			continue
		}
		k := *fam
		k.Key, k.Required = key, false
		return &k, true
	}
	return nil, false
}

// PolicyKeys lists the registered keys by name.
func PolicyKeys() []*PolicyKey {
	out := make([]*PolicyKey, 0, len(policyKeys))
	for _, k := range policyKeys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Validate checks a version against its key: the key is registered, a
// number key has a value in range and no data, a structured key has data
// of its shape.
func (p *Policy) Validate() error {
	k, ok := PolicyKeyOf(p.Key)
	if !ok {
		return Localized(EINVALID, "未知的政策参数“%s”", "Unknown policy key %q.", p.Key)
	}
	if p.Source == "" || p.EffectiveFrom.IsZero() {
		return Localized(EINVALID, "政策参数须有生效日期和来源说明", "A policy version needs an effective date and a source.")
	}
	if n := utf8.RuneCountInString(p.Source); n > MaxPolicySourceLength {
		return Localized(ETOOLARGE, "来源说明过长：有%d个字符，上限为%d个", "The source has %d characters; at most %d.", n, MaxPolicySourceLength)
	}
	if p.EffectiveTo != nil && !p.EffectiveTo.After(p.EffectiveFrom) {
		return Localized(EINVALID, "失效日期须晚于生效日期", "effective_to must be after effective_from.")
	}
	if p.Unit == "" {
		p.Unit = k.Unit
	}
	if p.Unit != k.Unit {
		return Localized(EINVALID, "政策参数“%s”的单位是%s，不是%s", "The unit of %s is %s, not %s.", p.Key, k.Unit, p.Unit)
	}
	if k.Type == PolicyNumber {
		if len(p.Data) > 0 && string(p.Data) != "null" {
			return Localized(EINVALID, "政策参数“%s”是数值，用 value 提交，不用 data", "%s is a number: send it as \"value\", not \"data\".", p.Key)
		}
		p.Data = nil
		if math.IsNaN(p.Value) || p.Value < k.Min || p.Value > k.Max {
			return Localized(EINVALID, "政策参数“%s”的值%g超出范围（%g 至 %g）", "The value %g of %s is out of range (%g to %g).", p.Value, p.Key, k.Min, k.Max)
		}
		return nil
	}
	if len(p.Data) == 0 {
		return Localized(EINVALID, "政策参数“%s”是结构化数据（%s），请用 data 提交", "%s is structured (%s): send it as \"data\".", p.Key, policyTypeZH[k.Type])
	}
	if p.Value != 0 {
		return Localized(EINVALID, "政策参数“%s”是结构化数据，不用 value", "%s is structured: it takes \"data\", not \"value\".", p.Key)
	}
	if err := k.checkData(p.Data); err != nil {
		return err
	}
	if k.Check != nil {
		return k.Check(p.Data)
	}
	return nil
}

// bad refuses a structured value: zh and en say what is wrong, with the
// same arguments.
func (k *PolicyKey) bad(zh, en string, args ...any) error {
	detail, detailZH := fmt.Sprintf(en, args...), fmt.Sprintf(zh, args...)
	return &Error{Code: EINVALID, Message: fmt.Sprintf("The data of %s (%s) is wrong: %s.", k.Key, k.Type, detail),
		ZH: fmt.Sprintf("政策参数“%s”（%s）的数据有误：%s", k.Key, k.ZH, detailZH), Details: []Problem{{Path: "data", Reason: detail, ReasonZH: detailZH}}}
}

// MaxPolicySourceLength bounds a policy version's source note (the
// document, its number and date, a link), and MaxPolicyItemLength each
// code and name of a structured value's items, in characters.
const (
	MaxPolicySourceLength = 1000
	MaxPolicyItemLength   = 200
)

// checkData checks a structured value against the key's shape.
func (k *PolicyKey) checkData(data json.RawMessage) error {
	switch k.Type {
	case PolicyTable:
		var rows map[string]json.RawMessage
		if err := json.Unmarshal(data, &rows); err != nil || len(rows) == 0 {
			return k.bad("表格应为以行名为键的JSON对象", "a table is a JSON object of rows")
		}
		for name, raw := range rows {
			if len(k.Rows) > 0 && !slices.Contains(k.Rows, name) {
				return k.bad("未知的行“%s”（可用的行：%s）", "unknown row %q (rows: %s)", name, strings.Join(k.Rows, ", "))
			}
			var n float64
			if json.Unmarshal(raw, &n) == nil {
				if n < k.Min || n > k.Max {
					return k.bad("%s：%g 超出范围（%g 至 %g）", "%s: %g is out of range (%g to %g)", name, n, k.Min, k.Max)
				}
				continue
			}
			var cols map[string]float64
			if err := json.Unmarshal(raw, &cols); err != nil || len(cols) == 0 {
				return k.bad("行“%s”应为数值或由数值组成的对象", "row %q must be a number or an object of numbers", name)
			}
			for c, n := range cols {
				if len(k.Cols) > 0 && !slices.Contains(k.Cols, c) {
					return k.bad("行“%s”：未知的列“%s”（可用的列：%s）", "row %q: unknown column %q (columns: %s)", name, c, strings.Join(k.Cols, ", "))
				}
				if n < k.Min || n > k.Max {
					return k.bad("%s.%s：%g 超出范围（%g 至 %g）", "%s.%s: %g is out of range (%g to %g)", name, c, n, k.Min, k.Max)
				}
			}
		}
		for _, r := range k.Rows {
			if _, ok := rows[r]; !ok {
				return k.bad("缺少行“%s”", "row %q is missing", r)
			}
		}
	case PolicyChecklist, PolicySteps, PolicyList:
		var items []struct {
			Code  string   `json:"code"`
			ZH    string   `json:"zh"`
			EN    string   `json:"en"`
			Role  string   `json:"role"`
			Limit *float64 `json:"limit"`
			Unit  string   `json:"unit"`
		}
		if err := json.Unmarshal(data, &items); err != nil || len(items) == 0 {
			return k.bad("%[2]s应为非空的JSON列表", "a %[1]s is a non-empty JSON list of items", k.Type, policyTypeZH[k.Type])
		}
		if len(items) > 200 {
			return k.bad("最多200项，不能是%d项", "at most 200 items, not %d", len(items))
		}
		seen := map[string]bool{}
		for i, it := range items {
			if it.Code == "" || it.ZH == "" {
				return k.bad("第%d项须有代码（code）和中文名称（zh）", "item %d needs a code and a Chinese name (zh)", i+1)
			}
			for _, v := range []string{it.Code, it.ZH, it.EN} {
				if n := utf8.RuneCountInString(v); n > MaxPolicyItemLength {
					return k.bad("第%d项的代码或名称过长：有%d个字符，上限为%d个", "item %d: a code or name has %d characters; at most %d", i+1, n, MaxPolicyItemLength)
				}
			}
			if seen[it.Code] {
				return k.bad("代码“%s”出现了两次", "item code %q appears twice", it.Code)
			}
			seen[it.Code] = true
			if k.Type == PolicySteps {
				if _, err := ParseRole(it.Role); err != nil {
					return k.bad("步骤“%s”：未知的角色“%s”", "step %q: unknown role %q", it.Code, it.Role)
				}
				if it.Limit == nil || *it.Limit < 0 {
					return k.bad("步骤“%s”须有不小于0的时限（limit）", "step %q needs a limit of 0 or more", it.Code)
				}
				if _, err := ParseClockUnit(it.Unit); err != nil {
					return k.bad("步骤“%s”：未知的时限单位“%s”", "step %q: unknown unit %q", it.Code, it.Unit)
				}
			}
		}
	}
	return nil
}

// MissingPolicies lists the required keys without any version among the
// given ones: backstop does not start with one missing.
func MissingPolicies(have []*Policy) []string {
	seen := map[string]bool{}
	for _, p := range have {
		seen[p.Key] = true
	}
	var out []string
	for _, k := range PolicyKeys() {
		if k.Required && !seen[k.Key] {
			out = append(out, k.Key)
		}
	}
	return out
}

// Policy keys of preparedness (issue 13).
const (
	// PolicyPlanSchedule: when a county's plan for a year is due (month
	// and day of that year) and when reminders start (month and day of the
	// year before) and how often they repeat.
	PolicyPlanSchedule = "plan.schedule"
	// PolicyPlanChecklist: what a plan must contain.
	PolicyPlanChecklist = "plan.checklist"
	// PolicyOfficerTraining: months after an officer's last training that
	// the next is due.
	PolicyOfficerTraining = "officer.training_every_months"
	// PolicyProjectTypes and PolicyFundSources: the project library's
	// types and fund sources.
	PolicyProjectTypes = "project.types"
	PolicyFundSources  = "project.fund_sources"
	// PolicyProjectSteps and PolicyProjectFastSteps: the procedures after
	// a village's proposal, normal and fast track, with their clocks.
	PolicyProjectSteps     = "project.steps"
	PolicyProjectFastSteps = "project.fast_steps"
	// PolicyWebhookAttempts and PolicyWebhookBackoff: how often a webhook
	// delivery is tried, and the longest wait between tries.
	PolicyWebhookAttempts = "sharing.webhook_attempts"
	PolicyWebhookBackoff  = "sharing.webhook_backoff_max_minutes"
	// PolicyPublicityThemes: the fixed days of publicity (code, zh, month,
	// day) the yearly calendar proposes to each county.
	PolicyPublicityThemes = "publicity.themes"
)

func init() {
	for _, k := range []PolicyKey{
		{Key: PolicyPlanSchedule, Type: PolicyTable, Unit: "month/day", Required: true, Min: 1, Max: 31,
			Rows: []string{"due_month", "due_day", "remind_month", "remind_day", "remind_every_days"},
			ZH:   "防范因灾返贫预案的报送截止日（当年月、日）与提醒起始日（上年月、日）及提醒间隔天数", EN: "when a county's plan for a year is due (month, day of the year), when reminders start (month, day of the year before) and how often they repeat"},
		{Key: PolicyPlanChecklist, Type: PolicyChecklist, Unit: "items", Required: true,
			ZH: "防范因灾返贫预案应包含的内容", EN: "what a county's contingency plan must contain"},
		{Key: PolicyOfficerTraining, Type: PolicyNumber, Unit: "months", Required: true, Min: 1, Max: 60,
			ZH: "灾害信息员两次培训的最长间隔（月）", EN: "months after an officer's last training that the next is due"},
		{Key: PolicyProjectTypes, Type: PolicyList, Unit: "items", Required: true,
			ZH: "项目库项目类型", EN: "types of projects in the library"},
		{Key: PolicyFundSources, Type: PolicyList, Unit: "items", Required: true,
			ZH: "项目资金来源", EN: "sources of project funds"},
		{Key: PolicyProjectSteps, Type: PolicySteps, Unit: "steps", Required: true,
			ZH: "项目入库程序（村申报之后）", EN: "the project procedure after a village's proposal"},
		{Key: PolicyProjectFastSteps, Type: PolicySteps, Unit: "steps", Required: true,
			ZH: "应对灾情新增项目快速入库程序", EN: "the fast procedure of disaster-response projects"},
		{Key: PolicyWebhookAttempts, Type: PolicyNumber, Unit: "attempts", Required: true, Min: 1, Max: 50,
			ZH: "信息共享推送（webhook）最多尝试次数", EN: "how often a webhook delivery is tried before it fails"},
		{Key: PolicyWebhookBackoff, Type: PolicyNumber, Unit: "minutes", Required: true, Min: 1, Max: 24 * 60,
			ZH: "信息共享推送重试的最长间隔（分钟）", EN: "the longest wait between tries of a webhook delivery"},
		{Key: PolicyPublicityThemes, Type: PolicyList, Unit: "items", Required: true,
			ZH: "防灾减灾宣传教育固定节点（每年向各县区提出）", EN: "the fixed days of publicity proposed to each county every year"},
	} {
		RegisterPolicyKey(k)
	}
}

// Policy keys of screening, loss reports, intake and risk assessment
// (issue 11). Every list is data: the codes and names must match the
// national system's exports (POST-DISASTER.md), and local lists nobody has
// published (六必访, 六必查) are seeded as marked local defaults.
const (
	// PolicyMustVisit + campaign kind: the must-visit cohort rules (必访).
	PolicyMustVisit = "screening.must_visit."
	// PolicyMustCheck + campaign kind: the must-check checklist (必查).
	PolicyMustCheck = "screening.must_check."
	// PolicyVisitDue: working days a campaign's visits are due in.
	PolicyVisitDue = "screening.visit_due_workdays"
	// PolicyWaterStandard: the four drinking-water indicators.
	PolicyWaterStandard = "screening.water_standard"
	// PolicyCropClasses: loss shares of 受灾, 成灾, 绝收.
	PolicyCropClasses = "screening.crop_loss_classes"
	// PolicyMedicalShare: compliant self-paid medical costs above this
	// share of the household's net income are a basic-needs problem.
	PolicyMedicalShare = "risk.medical_cost_share"
	// PolicySchoolAge: the compulsory-school ages (义务教育适龄).
	PolicySchoolAge = "risk.compulsory_school_age"
	// PolicyRiskTypes: code table 100A27.
	PolicyRiskTypes = "risk.types"
	// PolicyDisasterSubItems: the 因自然灾害 sub-item of each hazard.
	PolicyDisasterSubItems = "risk.disaster_subitems"
	// PolicyReasonWeights: how much each reason weighs in the ranking.
	PolicyReasonWeights = "risk.reason_weights"
	// PolicyIntakeSteps: the self-report clocks (check, answer, approval).
	PolicyIntakeSteps = "intake.steps"
	// PolicyIntakePerAddress, PolicyIntakePerPhone: public reports a day.
	PolicyIntakePerAddress = "intake.limit_per_address_day"
	PolicyIntakePerPhone   = "intake.limit_per_phone_day"
	// PolicyReferralDepartments: departments that refer households.
	PolicyReferralDepartments = "intake.referral_departments"
	// PolicyInitialReport: hours after an event's start its 初报 is due.
	PolicyInitialReport = "event.initial_report_hours"
	// PolicyFinalReport: working days after an event stabilised its 核报
	// is due.
	PolicyFinalReport = "event.final_report_workdays"
	// PolicyFollowupReport: hours after a report that the next 续报 is due
	// while the event goes on.
	PolicyFollowupReport = "event.followup_report_hours"
)

func init() {
	for _, k := range CampaignKinds {
		RegisterPolicyKey(PolicyKey{Key: PolicyMustVisit + string(k), Type: PolicyList, Unit: "rules", Required: true,
			ZH: "必访对象规则（" + string(k) + "）", EN: "must-visit cohort rules of a " + string(k) + " campaign"})
		RegisterPolicyKey(PolicyKey{Key: PolicyMustCheck + string(k), Type: PolicyChecklist, Unit: "items", Required: true,
			ZH: "必查清单（" + string(k) + "）", EN: "must-check checklist of a " + string(k) + " campaign's visits"})
	}
	for _, k := range []PolicyKey{
		{Key: PolicyVisitDue, Type: PolicyNumber, Unit: "workdays", Required: true, Min: 1, Max: 60,
			ZH: "排查走访完成时限（工作日）", EN: "working days a campaign's visits are due in"},
		{Key: PolicyWaterStandard, Type: PolicyTable, Unit: "standard", Required: true, Min: 0, Max: 1000,
			Rows: []string{"litres_per_person_day", "quality_tested", "trip_minutes", "outage_days_per_year"},
			ZH:   "农村饮水安全评价标准（水量、水质、取水时间、供水保证率）", EN: "rural drinking-water safety: quantity, quality tested, one trip, outage days a year"},
		{Key: PolicyCropClasses, Type: PolicyTable, Unit: "percent", Required: true, Min: 0, Max: 100, Rows: []string{"affected", "damaged", "failed"},
			ZH: "农作物受灾、成灾、绝收的减产比例", EN: "crop loss shares from which a crop is affected, damaged, failed"},
		{Key: PolicyMedicalShare, Type: PolicyNumber, Unit: "share of net income", Required: true, Min: 0.01, Max: 10,
			ZH: "合规自付医疗费用占家庭纯收入的比例，超过即视为基本医疗问题", EN: "share of the household's net income above which compliant self-paid medical costs are a problem"},
		{Key: PolicySchoolAge, Type: PolicyTable, Unit: "years of age", Required: true, Min: 0, Max: 30, Rows: []string{"from", "to"},
			ZH: "义务教育适龄（周岁，含首尾）", EN: "compulsory-school ages, inclusive"},
		{Key: PolicyRiskTypes, Type: PolicyList, Unit: "codes", Required: true, ZH: "致贫返贫风险类型（代码表100A27）", EN: "risk types, code table 100A27"},
		{Key: PolicyDisasterSubItems, Type: PolicyList, Unit: "codes", Required: true, ZH: "因自然灾害的细项（按灾种）", EN: "the 因自然灾害 sub-item of each hazard"},
		{Key: PolicyReasonWeights, Type: PolicyTable, Unit: "points", Required: true, Min: 0, Max: 1000,
			Rows: []string{ReasonIncome, ReasonHousing, ReasonWater, ReasonSchooling, ReasonMedical, ReasonBasicNeeds},
			ZH:   "风险排序中各项原因的权重", EN: "weight of each reason in the risk ranking"},
		{Key: PolicyIntakeSteps, Type: PolicySteps, Unit: "steps", Required: true, ZH: "一键报贫办理时限（核实、答复、审核认定）", EN: "self-report clocks: check, answer, approval"},
		{Key: PolicyIntakePerAddress, Type: PolicyNumber, Unit: "reports/day", Required: true, Min: 1, Max: 10000,
			ZH: "同一网络地址每天可提交的报贫次数", EN: "self-reports a day from one network address"},
		{Key: PolicyIntakePerPhone, Type: PolicyNumber, Unit: "reports/day", Required: true, Min: 1, Max: 10000,
			ZH: "同一手机号每天可提交的报贫次数", EN: "self-reports a day with one phone number"},
		{Key: PolicyReferralDepartments, Type: PolicyList, Unit: "codes", Required: true, ZH: "推送风险线索的部门", EN: "departments that refer households"},
		{Key: PolicyInitialReport, Type: PolicyNumber, Unit: "hours", Required: true, Min: 0.1, Max: 72,
			ZH: "灾情初报时限（灾害发生后小时数）", EN: "hours after an event's start that its first report (初报) is due"},
		{Key: PolicyFollowupReport, Type: PolicyNumber, Unit: "hours", Required: true, Min: 1, Max: 24 * 30,
			ZH: "灾情续报间隔（小时）", EN: "hours after a report that the next follow-up report (续报) is due while the event goes on"},
		{Key: PolicyFinalReport, Type: PolicyNumber, Unit: "workdays", Required: true, Min: 1, Max: 60,
			ZH: "灾情核报时限（灾情稳定后工作日）", EN: "working days after an event stabilised that its final report (核报) is due"},
	} {
		RegisterPolicyKey(k)
	}
}
