// Package overview gathers what the home page shows a user about the
// region in the user's scope: the active warnings with their exposure and
// release progress, what waits for the user, and reminders to admins. It
// reads through the capability services, whose permission checks and
// scopes apply to every figure.
package overview

import (
	"context"
	"sort"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/workday"
)

// Service reads the home page's summary.
type Service struct {
	Alerting *alerting.Service
	Exposure *exposure.Service
	Dispatch *dispatch.Service
	Registry *registry.Service
	Clocks   *clock.Engine
	Calendar *workday.Service
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ActiveWarning is a warning in force with what it means for the user's
// region.
type ActiveWarning struct {
	Warning *backstop.Warning `json:"warning"`
	// Exposed counts the households it exposes in the user's region (nil
	// before its exposure is computed).
	Exposed *backstop.ExposureCounts `json:"exposed,omitempty"`
	// ByRegion is its exposure per village in the user's region.
	ByVillage []backstop.RegionExposure `json:"-"`
	// Releases counts its releases; Latest is the newest one's progress
	// in the user's region.
	Releases int                `json:"releases"`
	Latest   *dispatch.Progress `json:"latest,omitempty"`
}

// Waiting is what waits for the user: persons to confirm, deadlines
// passed, imports refused.
type Waiting struct {
	// Unconfirmed and Overdue count the open key-group persons of the
	// active warnings' latest releases in the user's region.
	Unconfirmed, Overdue int
	// OverdueClocks are the first deadlines passed in the region and
	// their total.
	OverdueClocks      []*backstop.Clock
	OverdueClocksTotal int
	// Imports are recent roster imports with refused rows (for users who
	// import).
	Imports []*backstop.ImportResult
}

// Home is the summary.
type Home struct {
	// Active are the warnings in force that expose households in the
	// user's region or were released to it, gravest first; Elsewhere
	// counts the others in force (outside the region).
	Active    []*ActiveWarning
	Elsewhere int
	Waiting   Waiting
	// MissingYears are calendar years an admin should load (empty for
	// users who do not load the calendar).
	MissingYears []int
	ComputedAt   time.Time
}

// maxActive bounds the active warnings read: more in force at once is a
// list for the warning page, which pages them.
const maxActive = 200

var levelRank = map[backstop.WarningLevel]int{backstop.WarningRed: 0, backstop.WarningOrange: 1, backstop.WarningYellow: 2, backstop.WarningBlue: 3, "": 4}

// Home reads the summary for the signed-in user.
func (s *Service) Home(ctx context.Context) (*Home, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadWarnings)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &Home{ComputedAt: now}
	ws, _, err := s.Alerting.Warnings(ctx, backstop.WarningFilter{State: backstop.StateActive, Limit: maxActive})
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		a := &ActiveWarning{Warning: w}
		if v, err := s.Exposure.Find(ctx, w.ID, 0, 0); err == nil {
			a.Exposed, a.ByVillage = v.Total, v.ByVillage
		} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
			return nil, err
		}
		rels, total, err := s.Dispatch.ReleaseList(ctx, backstop.ReleaseFilter{WarningID: w.ID, Limit: 1})
		if err != nil {
			return nil, err
		}
		a.Releases = total
		if len(rels) > 0 {
			a.Latest = rels[0]
			out.Waiting.Unconfirmed += a.Latest.Stats.Tasks.Open
			out.Waiting.Overdue += a.Latest.Stats.Tasks.Overdue
		}
		if (a.Exposed == nil || a.Exposed.Households == 0) && a.Releases == 0 {
			out.Elsewhere++
			continue
		}
		out.Active = append(out.Active, a)
	}
	sort.SliceStable(out.Active, func(i, j int) bool {
		return levelRank[out.Active[i].Warning.Level] < levelRank[out.Active[j].Warning.Level]
	})
	if s.Clocks != nil {
		cs, total, err := s.Clocks.Clocks(ctx, backstop.ClockFilter{State: "overdue", Now: now, Limit: 10})
		if err != nil {
			return nil, err
		}
		out.Waiting.OverdueClocks, out.Waiting.OverdueClocksTotal = cs, total
	}
	if u.Can(backstop.PermWriteRegistry) {
		imports, err := s.Registry.FindImports(ctx, 20)
		if err != nil {
			return nil, err
		}
		for _, im := range imports {
			if (im.InvalidRows > 0 || !im.Written && !im.DryRun) && now.Sub(im.At) < 30*24*time.Hour {
				out.Waiting.Imports = append(out.Waiting.Imports, im)
			}
		}
	}
	if s.Calendar != nil && u.Can(backstop.PermManagePolicy) {
		out.MissingYears = s.Calendar.MissingYears(now)
	}
	return out, nil
}

// ExposedBy sums, per region code of the given level below the user's
// scope, the households the active warnings expose (a household exposed
// by two warnings counts twice: 户次).
func (h *Home) ExposedBy(prefixLen int) map[string]int {
	out := map[string]int{}
	for _, a := range h.Active {
		for _, v := range a.ByVillage {
			if len(v.Code) == 12 && prefixLen <= 12 {
				code := v.Code[:prefixLen] + "000000000000"[:12-prefixLen]
				if v.ExposureCounts != nil {
					out[code] += v.Households
				}
			}
		}
	}
	return out
}
