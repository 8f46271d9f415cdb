package assist

import (
	"context"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Re-evaluation (issue 12 item 7): a candidate policy version — a new
// monitoring line, a new housing subsidy table — not yet in force or just
// proposed, run over the open cases, the clearing eligibilities and the
// subsidies it would change, before anyone applies it. Nothing is written.

// DryRunStore is what a dry run reads besides Store.
type DryRunStore interface {
	FindAssessments(ctx context.Context, f backstop.AssessmentFilter) ([]*backstop.Assessment, int, error)
	FindCases(ctx context.Context, f backstop.CaseFilter) ([]*backstop.Case, int, error)
}

// SubsidyChange is a household whose housing subsidy the candidate table
// changes. Current is nil when the county has no table in force.
type SubsidyChange struct {
	Household    string  `json:"household"`
	Village      string  `json:"village_code"`
	LossReportID int64   `json:"loss_report_id"`
	Current      *int64  `json:"current"`
	Candidate    int64   `json:"candidate"`
	Disbursed    int64   `json:"disbursed"`
	PolicyIDs    []int64 `json:"policy_ids"` // the version in force, if any
}

// LineChange is a household whose judgement against the line the
// candidate changes: an assessment's income finding, an open case's
// clearing criterion.
type LineChange struct {
	Household string   `json:"household"`
	Village   string   `json:"village_code"`
	CaseID    int64    `json:"case_id,omitempty"`
	CaseState string   `json:"case_state,omitempty"`
	Income    float64  `json:"income_per_capita"`
	Current   *float64 `json:"current_line"`
	Candidate float64  `json:"candidate_line"`
	// BelowNow and BelowThen: under the line in force, under the
	// candidate.
	BelowNow  bool `json:"below_now"`
	BelowThen bool `json:"below_then"`
}

// DryRun is what a candidate would change; Written is always false.
type DryRun struct {
	Key         string           `json:"key"`
	Region      string           `json:"region"`
	Candidate   *backstop.Policy `json:"candidate"`
	Subsidies   []SubsidyChange  `json:"subsidies"`
	Assessments []LineChange     `json:"assessments"`
	OpenCases   []LineChange     `json:"open_cases"`
	Clearing    []LineChange     `json:"clearing"`
	Scanned     int              `json:"scanned"`
	Truncated   bool             `json:"truncated"`
	Written     bool             `json:"written"`
}

// MaxDryRunRows bounds the rows a dry run reads.
const MaxDryRunRows = 50000

// DryRunPolicy runs a candidate version (checked like one to be stored)
// over the user's region; nothing is written.
func (s *Service) DryRunPolicy(ctx context.Context, p *backstop.Policy) (*DryRun, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, err
	}
	region, err := backstop.NormalizeRegionCode(p.Region)
	if err != nil {
		return nil, invalid("region", "区划代码有误", backstop.ErrorMessage(err))
	}
	p.Region = region
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ds, ok := s.Store.(DryRunStore)
	if !ok {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置存储", "No store is configured.")
	}
	out := &DryRun{Key: p.Key, Region: region, Candidate: p, Subsidies: []SubsidyChange{}, Assessments: []LineChange{}, OpenCases: []LineChange{}, Clearing: []LineChange{}}
	switch p.Key {
	case backstop.PolicyHousingSubsidy:
		if backstop.LevelOfCode(region) != backstop.LevelCounty {
			return nil, invalid("region", "住房恢复重建补助标准按县区设定，请填写县级区划代码", "a county code: the table is per county")
		}
		return out, s.dryRunSubsidy(ctx, p, out)
	case backstop.PolicyMonitoringLine:
		return out, s.dryRunLine(ctx, ds, p, out)
	}
	return nil, invalid("key", "试算只支持 housing_subsidy（住房补助标准）和 monitoring_line（监测范围）", "a dry run takes housing_subsidy or monitoring_line")
}

func (s *Service) dryRunSubsidy(ctx context.Context, p *backstop.Policy, out *DryRun) error {
	candidate, err := backstop.HousingSubsidyTableOf(p)
	if err != nil {
		return err
	}
	for offset := 0; ; offset += 500 {
		rs, total, err := s.Store.FindLossReports(ctx, backstop.LossReportFilter{Region: p.Region, Damaged: true, Offset: offset, Limit: 500})
		if err != nil {
			return err
		}
		for _, r := range rs {
			out.Scanned++
			h, err := s.household(ctx, r.HouseholdNumber)
			if err != nil {
				return err
			}
			c := ComputeSubsidy(candidate, h, r)
			row := SubsidyChange{Household: h.Number, Village: h.VillageCode, LossReportID: r.ID, Candidate: c.Amount, PolicyIDs: []int64{}}
			if t, cur, err := s.SubsidyTable(ctx, p.Region, r.ReportedAt); err == nil {
				amount := ComputeSubsidy(t, h, r).Amount
				row.Current, row.PolicyIDs = &amount, []int64{cur.ID}
			} else if backstop.ErrorCode(err) != backstop.EUNAVAILABLE {
				return err
			}
			if row.Current != nil && *row.Current == row.Candidate {
				continue
			}
			if recs, err := s.Store.FindSubsidyRecords(ctx, h.Number); err == nil {
				for _, rec := range recs {
					if rec.Kind == backstop.SubsidyDisbursement && rec.LossReportID == r.ID {
						row.Disbursed += rec.Amount
					}
				}
			}
			out.Subsidies = append(out.Subsidies, row)
		}
		if offset+len(rs) >= total || len(rs) == 0 {
			return nil
		}
		if out.Scanned >= MaxDryRunRows {
			out.Truncated = true
			return nil
		}
	}
}

// lineAt reads the line in force for a region today (nil when none).
func (s *Service) lineAt(ctx context.Context, cache map[string]*float64, village string, at time.Time) (*float64, error) {
	if v, ok := cache[village]; ok {
		return v, nil
	}
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyMonitoringLine, village, at)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		cache[village] = nil
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	v := p.Value
	cache[village] = &v
	return &v, nil
}

func (s *Service) dryRunLine(ctx context.Context, ds DryRunStore, p *backstop.Policy, out *DryRun) error {
	now := s.now()
	at := p.EffectiveFrom
	if at.Before(now) {
		at = now
	}
	cache := map[string]*float64{}
	change := func(h, village string, income float64) (LineChange, bool, error) {
		cur, err := s.lineAt(ctx, cache, village, now)
		if err != nil {
			return LineChange{}, false, err
		}
		lc := LineChange{Household: h, Village: village, Income: income, Current: cur, Candidate: p.Value, BelowThen: income < p.Value}
		lc.BelowNow = cur != nil && income < *cur
		return lc, cur == nil || lc.BelowNow != lc.BelowThen, nil
	}
	income := map[string]float64{}
	for offset := 0; ; offset += 500 {
		as, total, err := ds.FindAssessments(ctx, backstop.AssessmentFilter{Region: p.Region, Offset: offset, Limit: 500})
		if err != nil {
			return err
		}
		for _, a := range as {
			out.Scanned++
			if a.ProjectedPerCapitaIncome == nil {
				continue
			}
			income[a.HouseholdNumber] = *a.ProjectedPerCapitaIncome
			if lc, changed, err := change(a.HouseholdNumber, a.VillageCode, *a.ProjectedPerCapitaIncome); err != nil {
				return err
			} else if changed {
				out.Assessments = append(out.Assessments, lc)
			}
		}
		if offset+len(as) >= total || len(as) == 0 || out.Scanned >= MaxDryRunRows {
			out.Truncated = out.Truncated || (offset+len(as) < total && len(as) > 0)
			break
		}
	}
	for offset := 0; ; offset += 500 {
		cs, total, err := ds.FindCases(ctx, backstop.CaseFilter{Region: p.Region, Offset: offset, Limit: 500, Now: now})
		if err != nil {
			return err
		}
		for _, c := range cs {
			out.Scanned++
			switch c.State {
			case backstop.CaseCleared, backstop.CaseRefused:
				continue
			}
			v, ok := income[c.Household]
			if !ok {
				h, err := s.household(ctx, c.Household)
				if err != nil {
					return err
				}
				if h.IncomePerCapita == nil {
					continue
				}
				v = *h.IncomePerCapita
			}
			lc, changed, err := change(c.Household, c.Village, v)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			lc.CaseID, lc.CaseState = c.ID, string(c.State)
			out.OpenCases = append(out.OpenCases, lc)
			if c.State == backstop.CaseActive || c.State == backstop.CaseClearing || c.State == backstop.CaseHeld {
				out.Clearing = append(out.Clearing, lc) // the income criterion of clearing flips
			}
		}
		if offset+len(cs) >= total || len(cs) == 0 || out.Scanned >= MaxDryRunRows {
			out.Truncated = out.Truncated || (offset+len(cs) < total && len(cs) > 0)
			return nil
		}
	}
}
