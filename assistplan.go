package backstop

import (
	"encoding/json"
	"slices"
)

// The assistance plan (一户一策, issue 12 item 4): the national measure
// catalog (category → items, which categories are development-type) and
// the proposal rules, both policy data; a case's proposals come from its
// risk types and the household's labour, and people choose among them.

// Policy keys of the assistance plan.
const (
	// PolicyMeasureRules: which measures are proposed for which risk type
	// or labour class, owned by which department.
	PolicyMeasureRules = "assist.measure_rules"
	// PolicyReferralAnswer: working days civil affairs has to answer a
	// 低保/特困 referral.
	PolicyReferralAnswer = "assist.referral_answer_workdays"
)

// ClockReferralAnswer is the clock of civil affairs' answer to a 低保/特困
// referral of a household without labour; its subject is measure:<id>.
const ClockReferralAnswer = "assist.referral_answer"

// Labour classes of a household, from its members' 劳动技能.
const (
	LabourCapable = "capable" // a member is 普通劳动力 or 技能劳动力
	LabourWeak    = "weak"    // only 弱劳动力或半劳动力
	LabourNone    = "none"    // 无劳动力 / 丧失劳动力 only (整户无劳动能力)
)

// LabourClass classes a household by its members.
func LabourClass(h *Household) string {
	class := LabourNone
	for _, m := range h.Members {
		switch m.Labour {
		case "普通劳动力", "技能劳动力":
			return LabourCapable
		case "弱劳动力或半劳动力":
			class = LabourWeak
		}
	}
	return class
}

// MeasureRule proposes one measure: for a risk type (100A27 code), or for
// a labour class, or both; Referral marks a 低保/特困 referral to civil
// affairs whose answer is tracked on a clock.
type MeasureRule struct {
	Code       string   `json:"code"`
	ZH         string   `json:"zh"`
	EN         string   `json:"en,omitempty"`
	Risk       string   `json:"risk,omitempty"`
	Labour     []string `json:"labour,omitempty"`
	Category   string   `json:"category"`
	Item       string   `json:"item"`
	Department string   `json:"department"`
	Referral   bool     `json:"referral,omitempty"`
}

// Proposal is a measure proposed for a case, with the rule behind it.
type Proposal struct {
	Rule        string `json:"rule"`
	Why         string `json:"why"` // Chinese
	Category    string `json:"category"`
	Item        string `json:"item"`
	Department  string `json:"department"`
	Development bool   `json:"development"`
	Referral    bool   `json:"referral,omitempty"`
	// Existing is the id of a measure of the case of the same category
	// and item already recorded.
	Existing int64 `json:"existing,omitempty"`
}

// MeasurePlan is a case's proposals, development-type first for a
// labour-capable household, with the policy versions used.
type MeasurePlan struct {
	CaseID    int64      `json:"case_id"`
	Household string     `json:"household"`
	Labour    string     `json:"labour"`
	RiskTypes []string   `json:"risk_types"`
	Proposals []Proposal `json:"proposals"`
	PolicyIDs []int64    `json:"policy_ids"`
}

func init() {
	RegisterPolicyKey(PolicyKey{Key: PolicyMeasureRules, Type: PolicyList, Unit: "rules", Required: true,
		ZH: "帮扶措施推荐规则（按风险类型和劳动力）", EN: "measure proposal rules by risk type and labour",
		Check: func(data json.RawMessage) error { _, err := ParseMeasureRules(data); return err }})
	RegisterPolicyKey(PolicyKey{Key: PolicyReferralAnswer, Type: PolicyNumber, Unit: "workdays", Required: true, Min: 1, Max: 60,
		ZH: "无劳动力户转介民政（低保/特困）的答复时限（工作日）", EN: "working days civil affairs has to answer a 低保/特困 referral"})
}

func catalogBad(key, zh, en string, args ...any) error {
	k, _ := PolicyKeyOf(key)
	return k.bad(zh, en, args...)
}

// MeasureCatalogOf reads the measure categories (the cases' policy key
// PolicyMeasureCategories) of a version.
func MeasureCatalogOf(p *Policy) ([]MeasureCategory, error) {
	var cs []MeasureCategory
	if err := json.Unmarshal(p.Data, &cs); err != nil || len(cs) == 0 {
		return nil, Localized(EINVALID, "政策参数“%s”（第%d版）不是帮扶措施类别列表", "Policy %s (version %d) is not a list of measure categories.", p.Key, p.ID)
	}
	return cs, nil
}

// ParseMeasureRules reads and checks a rules version's data: each rule
// names a risk type or labour classes, and a category and item.
func ParseMeasureRules(data json.RawMessage) ([]MeasureRule, error) {
	var rs []MeasureRule
	if err := json.Unmarshal(data, &rs); err != nil || len(rs) == 0 {
		return nil, catalogBad(PolicyMeasureRules, "应为规则列表", "a list of rules")
	}
	for _, r := range rs {
		if r.Risk == "" && len(r.Labour) == 0 {
			return nil, catalogBad(PolicyMeasureRules, "规则“%s”须写明风险类型（risk）或劳动力（labour）", "rule %s names neither a risk type nor labour", r.Code)
		}
		for _, l := range r.Labour {
			if !slices.Contains([]string{LabourCapable, LabourWeak, LabourNone}, l) {
				return nil, catalogBad(PolicyMeasureRules, "规则“%s”：劳动力只能是 capable、weak 或 none，不能是“%s”", "rule %s: labour must be capable, weak or none, not %q", r.Code, l)
			}
		}
		if r.Category == "" || r.Item == "" || r.Department == "" {
			return nil, catalogBad(PolicyMeasureRules, "规则“%s”须写明类别（category）、项目（item）和负责部门（department）", "rule %s needs a category, an item and a department", r.Code)
		}
	}
	return rs, nil
}

// CategoryOf finds a category and tells whether item is one of its items.
func CategoryOf(catalog []MeasureCategory, category, item string) (*MeasureCategory, bool) {
	for i := range catalog {
		if catalog[i].Code == category {
			return &catalog[i], slices.Contains(catalog[i].Items, item)
		}
	}
	return nil, false
}

// ProposeMeasures applies the rules to a case's risk types and the
// household's labour class. A rule of a risk type applies when the case
// has it (and, if it names labour classes, the household is of one); a
// rule of labour alone applies by the class. For a labour-capable
// household the development-type proposals come first; the order is the
// rules' order otherwise.
func ProposeMeasures(catalog []MeasureCategory, rules []MeasureRule, riskTypes []string, labour string) []Proposal {
	out := []Proposal{}
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Risk != "" && !slices.Contains(riskTypes, r.Risk) {
			continue
		}
		if len(r.Labour) > 0 && !slices.Contains(r.Labour, labour) {
			continue
		}
		key := r.Category + "/" + r.Item
		if seen[key] {
			continue
		}
		seen[key] = true
		c, _ := CategoryOf(catalog, r.Category, r.Item)
		out = append(out, Proposal{Rule: r.Code, Why: r.ZH, Category: r.Category, Item: r.Item, Department: r.Department, Development: c != nil && c.Development, Referral: r.Referral})
	}
	if labour == LabourCapable {
		slices.SortStableFunc(out, func(a, b Proposal) int {
			switch {
			case a.Development && !b.Development:
				return -1
			case !a.Development && b.Development:
				return 1
			}
			return 0
		})
	}
	return out
}
