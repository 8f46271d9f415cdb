// Package funnel is the use case of the loop's dashboard (issue 12 item
// 8): found → monitored → helped → cleared for a region and its
// sub-regions, with the median working days from report to inclusion, the
// share of open cases overdue, the open procedure debts, measures by
// category and loans by state. It only reads; every figure is counted in
// the store inside the user's region.
package funnel

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/workday"
)

// Store is what the dashboard reads.
type Store interface {
	backstop.FunnelStore
	FindRegion(ctx context.Context, code string, boundary bool) (*backstop.Region, error)
	FindRegions(ctx context.Context, f backstop.RegionFilter) ([]*backstop.Region, int, error)
}

// Calendar counts working days.
type Calendar interface {
	Calendar() (*workday.Calendar, error)
}

// Loans counts a region's loans by state (microcredit).
type Loans interface {
	LoanCounts(ctx context.Context, region string) (map[string]int, error)
}

// Service reads the dashboard.
type Service struct {
	Store    Store
	Calendar Calendar
	Loans    Loans
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Row is one sub-region's figures.
type Row struct {
	Code string `json:"region"`
	Name string `json:"name"`
	backstop.FunnelFigures
	OverdueShare float64 `json:"overdue_share"`
}

// Category is the measures of one category.
type Category struct {
	Category string `json:"category"`
	Measures int    `json:"measures"`
	Started  int    `json:"started"`
}

// Dashboard is the loop of one region.
type Dashboard struct {
	Region string           `json:"region"`
	Name   string           `json:"name"`
	Level  string           `json:"level"`
	Parent *backstop.Region `json:"-"`
	backstop.FunnelFigures
	OverdueShare float64 `json:"overdue_share"`
	// MedianWorkdays is the median of working days from a case's opening
	// (the report) to its inclusion (风险识别) over the monitored cases;
	// nil when none. Provisional when a year of the span is not loaded in
	// the calendar (counted Monday to Friday).
	MedianWorkdays *float64       `json:"median_workdays_to_inclusion"`
	Provisional    bool           `json:"median_provisional,omitempty"`
	Measures       []Category     `json:"measures_by_category"`
	Loans          map[string]int `json:"loans_by_state"`
	Children       []Row          `json:"children"`
	ComputedAt     time.Time      `json:"computed_at"`
}

// Read counts the loop of region ("" for the user's own).
func (s *Service) Read(ctx context.Context, region string) (*Dashboard, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadCases)
	if err != nil {
		return nil, err
	}
	code := u.Region
	if region != "" {
		if code, err = backstop.NormalizeRegionCode(region); err != nil {
			return nil, backstop.Localized(backstop.EINVALID, "地区（region）须为 2 至 12 位的区划代码，不能是“%s”", "region must be a region code of 2 to 12 digits, not %q.", region)
		}
	}
	if !u.InScope(code) {
		// A read outside the region finds nothing, as if it did not exist.
		return nil, backstop.Localized(backstop.ENOTFOUND, "您的管辖范围内没有地区%s", "No region %s in your scope.", code)
	}
	d := &Dashboard{Region: code, ComputedAt: s.now()}
	childPrefix := 2
	if code != backstop.NationalScope {
		reg, err := s.Store.FindRegion(ctx, code, false)
		if err != nil {
			return nil, err
		}
		d.Name, d.Level = reg.Name, reg.Level.String()
		if reg.Level == backstop.LevelVillage {
			childPrefix = 12
		} else {
			childPrefix = (reg.Level + 1).PrefixLen()
		}
		if reg.ParentCode != "" && u.InScope(reg.ParentCode) {
			d.Parent, _ = s.Store.FindRegion(ctx, reg.ParentCode, false)
		}
	} else {
		d.Name, d.Level = "全国", "national"
	}
	counts, err := s.Store.FunnelCounts(ctx, code, childPrefix, d.ComputedAt)
	if err != nil {
		return nil, err
	}
	d.FunnelFigures, d.OverdueShare = counts.Total, counts.Total.OverdueShare()
	if err := s.median(d, counts.Spans); err != nil {
		return nil, err
	}
	for cat, n := range counts.Measures {
		d.Measures = append(d.Measures, Category{Category: cat, Measures: n, Started: counts.Started[cat]})
	}
	sort.Slice(d.Measures, func(i, j int) bool {
		a, b := d.Measures[i], d.Measures[j]
		return a.Measures > b.Measures || a.Measures == b.Measures && a.Category < b.Category
	})
	if s.Loans != nil {
		if d.Loans, err = s.Loans.LoanCounts(ctx, code); err != nil {
			return nil, err
		}
	}
	if d.Level != backstop.LevelVillage.String() {
		if err := s.children(ctx, d, code, counts); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// children lists every sub-region, with or without figures, in code order.
func (s *Service) children(ctx context.Context, d *Dashboard, code string, counts *backstop.FunnelCounts) error {
	f := backstop.RegionFilter{Parent: code}
	if code == backstop.NationalScope {
		f = backstop.RegionFilter{Level: backstop.LevelProvince}
	}
	regs, _, err := s.Store.FindRegions(ctx, f)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range regs {
		row := Row{Code: r.Code, Name: r.Name}
		if f := counts.Children[backstop.CodePrefix(r.Code)]; f != nil {
			row.FunnelFigures, row.OverdueShare = *f, f.OverdueShare()
		}
		seen[backstop.CodePrefix(r.Code)] = true
		d.Children = append(d.Children, row)
	}
	// Figures in a sub-region the region table does not hold (a roster
	// village not yet in the boundaries) are shown by code, never lost.
	var rest []string
	for prefix := range counts.Children {
		if !seen[prefix] {
			rest = append(rest, prefix)
		}
	}
	slices.Sort(rest)
	for _, prefix := range rest {
		f := counts.Children[prefix]
		full := prefix + "000000000000"[:12-len(prefix)]
		d.Children = append(d.Children, Row{Code: full, Name: full, FunnelFigures: *f, OverdueShare: f.OverdueShare()})
	}
	return nil
}

// median is the median working days from report to inclusion, over the
// cases the spans group.
func (s *Service) median(d *Dashboard, spans []backstop.InclusionSpan) error {
	if len(spans) == 0 {
		return nil
	}
	cal, err := s.Calendar.Calendar()
	if err != nil {
		return err
	}
	type span struct {
		days, cases int
	}
	var all []span
	total := 0
	for _, sp := range spans {
		a, errA := workday.ParseDate(sp.From)
		b, errB := workday.ParseDate(sp.To)
		if errA != nil || errB != nil {
			continue
		}
		n := cal.Between(a, b)
		if n.Provisional {
			d.Provisional = true
		}
		all = append(all, span{max(n.Days, 0), sp.Cases})
		total += sp.Cases
	}
	if total == 0 {
		return nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].days < all[j].days })
	// The median of the expanded list: the middle value, or the mean of
	// the two middle ones.
	at := func(k int) int {
		for _, sp := range all {
			if k < sp.cases {
				return sp.days
			}
			k -= sp.cases
		}
		return all[len(all)-1].days
	}
	m := float64(at((total - 1) / 2))
	if total%2 == 0 {
		m = (float64(at(total/2-1)) + float64(at(total/2))) / 2
	}
	d.MedianWorkdays = &m
	return nil
}
