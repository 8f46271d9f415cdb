package cases

import (
	"context"
	"errors"
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

// CasePageStore reads cases and their measures.
type CasePageStore interface {
	FindCases(ctx context.Context, f backstop.CaseFilter) ([]*backstop.Case, int, error)
	FindMeasures(ctx context.Context, f backstop.MeasureFilter) ([]*backstop.Measure, int, error)
}

// CasePageSize is how many cases one page of EachCasePage holds.
const CasePageSize = 1000

// EachCasePage walks the cases of the user's region (a region inside it
// when given) in keyset pages of CasePageSize, each page's measures read
// in one query, and gives fn each page with its measures by case: the
// walk every check across cases takes. fn returning ErrStopPages ends it
// without error.
func EachCasePage(ctx context.Context, store CasePageStore, region string, fn func(cs []*backstop.Case, measures map[int64][]*backstop.Measure) error) error {
	var after int64
	for {
		cs, _, err := store.FindCases(ctx, backstop.CaseFilter{Region: region, Keyset: true, AfterID: after, Limit: CasePageSize})
		if err != nil || len(cs) == 0 {
			return err
		}
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		after = ids[len(ids)-1]
		ms, _, err := store.FindMeasures(ctx, backstop.MeasureFilter{CaseIDs: ids, Limit: 100_000})
		if err != nil {
			return err
		}
		byCase := map[int64][]*backstop.Measure{}
		for _, m := range ms {
			byCase[m.CaseID] = append(byCase[m.CaseID], m)
		}
		if err := fn(cs, byCase); err == ErrStopPages {
			return nil
		} else if err != nil {
			return err
		}
		if len(cs) < CasePageSize {
			return nil
		}
	}
}

// ErrStopPages ends EachCasePage early, without error.
var ErrStopPages = errors.New("stop the pages")

// CheckAll runs the national checks on every case of the user's region
// (a region inside it when given), page by page (EachCasePage); fn gets
// each case with its problems. It returns how many cases were checked.
func (s *Service) CheckAll(ctx context.Context, region string, fn func(c *backstop.Case, problems []backstop.Problem) error) (int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	err := EachCasePage(ctx, s.Store, region, func(cs []*backstop.Case, measures map[int64][]*backstop.Measure) error {
		for _, c := range cs {
			if err := fn(c, Check(c, nil, measures[c.ID], now)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
