package cases

import (
	"context"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// The national system's data checks (POST-DISASTER.md "Checks the
// national system runs on its data"), run on every case before its
// records go there. Each problem's Path is the check's code; Reason and
// ReasonZH say what to fix. Every check is here, behind Check.

// Check codes.
const (
	CheckNoMeasure        = "check.no_measure"          // identified more than a month ago with no measure at all
	CheckDisasterSubItem  = "check.disaster_sub_item"   // 因自然灾害 without its sub-item
	CheckTooManyRiskTypes = "check.too_many_risk_types" // more than five risk types
)

// Check runs the national checks on a case with its household (nil when
// not read: the household's checks are skipped) and measures, as of now.
func Check(c *backstop.Case, h *backstop.Household, measures []*backstop.Measure, now time.Time) []backstop.Problem {
	out := []backstop.Problem{}
	add := func(code, en, zh string) {
		out = append(out, backstop.Problem{Path: code, Reason: en, ReasonZH: zh})
	}
	if c.State.Monitored() && c.IdentifiedOn != "" {
		if ident, err := time.ParseInLocation(time.DateOnly, c.IdentifiedOn, backstop.Beijing); err == nil && now.After(ident.AddDate(0, 1, 0)) && !anyMeasure(measures) {
			add(CheckNoMeasure, "identified more than a month ago and no measure recorded", "识别为监测对象已超过一个月，仍未落实任何帮扶措施")
		}
	}
	for _, rt := range c.RiskTypes {
		if rt == backstop.RiskNaturalDisaster && c.DisasterSubItem == "" {
			add(CheckDisasterSubItem, "因自然灾害 without its sub-item (洪涝灾害, 地质灾害 …)", "风险类型为“因自然灾害”，但未填写细项（洪涝灾害、地质灾害、旱灾等）")
		}
	}
	if len(c.RiskTypes) > backstop.MaxCaseRiskTypes {
		add(CheckTooManyRiskTypes, "more than five risk types", "风险类型超过五项")
	}
	return out
}

// anyMeasure tells whether a measure other than a refused one exists.
func anyMeasure(ms []*backstop.Measure) bool {
	for _, m := range ms {
		if m.Status != backstop.MeasureRefused {
			return true
		}
	}
	return false
}

// CheckAll runs the national checks on every case of the user's region
// (a region inside it when given), a page of cases at a time with their
// measures read in one query per page; fn gets each case with its
// problems. It returns how many cases were checked.
func (s *Service) CheckAll(ctx context.Context, region string, fn func(c *backstop.Case, problems []backstop.Problem) error) (int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	const pageSize = 1000
	for off := 0; ; off += pageSize {
		cs, total, err := s.Store.FindCases(ctx, backstop.CaseFilter{Region: region, Offset: off, Limit: pageSize})
		if err != nil {
			return n, err
		}
		if len(cs) == 0 {
			return n, nil
		}
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		ms, _, err := s.Store.FindMeasures(ctx, backstop.MeasureFilter{CaseIDs: ids, Limit: 100_000})
		if err != nil {
			return n, err
		}
		byCase := map[int64][]*backstop.Measure{}
		for _, m := range ms {
			byCase[m.CaseID] = append(byCase[m.CaseID], m)
		}
		for _, c := range cs {
			if err := fn(c, Check(c, nil, byCase[c.ID], now)); err != nil {
				return n, err
			}
			n++
		}
		if off+pageSize >= total {
			return n, nil
		}
	}
}
