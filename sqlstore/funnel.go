package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// FunnelCounts counts the loop of a region and its sub-regions (child
// codes childPrefix digits long) in five grouped scans run side by side
// (each reads its own snapshot; they are independent figures): households
// found at risk without a case, the latest cases by stage, overdue steps
// and debts, the report-to-inclusion dates, measures by category. A
// household lies in one village, so the sub-regions' figures add up to the
// region's.
func (db *DB) FunnelCounts(ctx context.Context, region string, childPrefix int, now time.Time) (*backstop.FunnelCounts, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if childPrefix < 2 || childPrefix > 12 {
		return nil, backstop.Localized(backstop.EINVALID, "下级地区代码长度%d无效", "Invalid sub-region code length %d.", childPrefix)
	}
	in := func(col string) (string, []any, error) {
		sc, sargs := scopeWhere(u, col)
		rc, rargs, err := regionWithin(region, col)
		if err != nil {
			return "", nil, err
		}
		return strings.TrimPrefix(where(sc, rc), " WHERE "), append(sargs, rargs...), nil
	}
	ac, aargs, err := in("village_code")
	if err != nil {
		return nil, err
	}
	kc, kargs, err := in("region_code")
	if err != nil {
		return nil, err
	}
	scans := []func(*backstop.FunnelCounts) error{
		func(part *backstop.FunnelCounts) error { return db.funnelUnopened(ctx, part, ac, aargs, childPrefix) },
		func(part *backstop.FunnelCounts) error { return db.funnelStages(ctx, part, ac, aargs, childPrefix) },
		func(part *backstop.FunnelCounts) error {
			return db.funnelOverdue(ctx, part, kc, kargs, childPrefix, now)
		},
		func(part *backstop.FunnelCounts) error { return db.funnelSpans(ctx, part, ac, aargs) },
		func(part *backstop.FunnelCounts) error { return db.funnelMeasures(ctx, part, ac, aargs) },
	}
	parts := make([]*backstop.FunnelCounts, len(scans))
	errs := make([]error, len(scans))
	var wg sync.WaitGroup
	for i, scan := range scans {
		parts[i] = newFunnelCounts()
		wg.Go(func() { errs[i] = scan(parts[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := newFunnelCounts()
	for _, p := range parts {
		for code, f := range p.Children {
			addFunnelFigures(funnelChild(out, code), f)
		}
		out.Spans = append(out.Spans, p.Spans...)
		for cat, n := range p.Measures {
			out.Measures[cat] += n
		}
		for cat, n := range p.Started {
			out.Started[cat] += n
		}
	}
	for _, f := range out.Children {
		f.Found += f.Unopened
		addFunnelFigures(&out.Total, f)
	}
	return out, nil
}

func newFunnelCounts() *backstop.FunnelCounts {
	return &backstop.FunnelCounts{Children: map[string]*backstop.FunnelFigures{}, Measures: map[string]int{}, Started: map[string]int{}}
}

func funnelChild(c *backstop.FunnelCounts, code string) *backstop.FunnelFigures {
	f := c.Children[code]
	if f == nil {
		f = &backstop.FunnelFigures{}
		c.Children[code] = f
	}
	return f
}

func addFunnelFigures(to, f *backstop.FunnelFigures) {
	to.Found += f.Found
	to.Unopened += f.Unopened
	to.Monitored += f.Monitored
	to.Helped += f.Helped
	to.Cleared += f.Cleared
	to.Held += f.Held
	to.Open += f.Open
	to.Overdue += f.Overdue
	to.OpenDebts += f.OpenDebts
	to.OverdueDebts += f.OverdueDebts
	to.GreenChannel += f.GreenChannel
}

// funnelScan runs one of the dashboard's queries on the read pool.
func (db *DB) funnelScan(ctx context.Context, query string, args []any, each func(rows *sql.Rows) error) error {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return db.translate(rows.Err())
}

// funnelUnopened counts the households found at risk (a current at-risk
// assessment) that have no case yet; those with a case are the stages'.
func (db *DB) funnelUnopened(ctx context.Context, part *backstop.FunnelCounts, ac string, args []any, childPrefix int) error {
	sub := "substr(a.village_code, 1, " + strconv.Itoa(childPrefix) + ")"
	q := `SELECT ` + sub + `, COUNT(*) FROM assessments a` + where("a.is_current", "a.at_risk", strings.ReplaceAll(ac, "village_code", "a.village_code"),
		"NOT EXISTS (SELECT 1 FROM cases c WHERE c.household_id = a.household_id)") + ` GROUP BY 1`
	return db.funnelScan(ctx, q, args, func(rows *sql.Rows) error {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		funnelChild(part, code).Unopened = n
		return nil
	})
}

// funnelStages counts the cases by stage, each household by its latest
// case, and the open procedure debts the cases keep count of: one range
// scan of the covering index cases_loop, grouped in its order (villages,
// folded into the sub-regions here).
func (db *DB) funnelStages(ctx context.Context, part *backstop.FunnelCounts, ac string, args []any, childPrefix int) error {
	q := `SELECT village_code, state, helped, COUNT(*), SUM(CASE WHEN green_channel THEN 1 ELSE 0 END), SUM(open_debts) FROM cases` +
		where("NOT superseded", ac) + ` GROUP BY village_code, state, helped`
	return db.funnelScan(ctx, q, args, func(rows *sql.Rows) error {
		var code, state string
		var helped bool
		var n, green, debts int
		if err := rows.Scan(&code, &state, &helped, &n, &green, &debts); err != nil {
			return err
		}
		if len(code) < childPrefix {
			return nil
		}
		c := funnelChild(part, code[:childPrefix])
		c.Found += n
		c.GreenChannel += green
		c.OpenDebts += debts
		st := backstop.CaseState(state)
		switch st {
		case backstop.CaseCleared:
			c.Cleared += n
		case backstop.CaseHeld:
			c.Held += n
		}
		// Reached monitoring: 监测对象 now, or cleared since.
		if st.Monitored() || st == backstop.CaseCleared {
			c.Monitored += n
			if helped {
				c.Helped += n
			}
		}
		if st.Open() {
			c.Open += n
		}
		return nil
	})
}

// funnelOverdue counts the open cases with a step or a debt past due (the
// running case clocks past due, few; each case once) and the overdue
// debts.
func (db *DB) funnelOverdue(ctx context.Context, part *backstop.FunnelCounts, kc string, args []any, childPrefix int, now time.Time) error {
	late := map[int64]string{}
	q := `SELECT kind, subject, region_code FROM clocks` + where(kc, "state = ?", "due_at <= ?", "kind IN (?, ?)")
	err := db.funnelScan(ctx, q, append(args, string(backstop.ClockRunning), now.UTC(), backstop.ClockCaseStep, backstop.ClockCaseDebt), func(rows *sql.Rows) error {
		var kind, subject, code string
		if err := rows.Scan(&kind, &subject, &code); err != nil {
			return err
		}
		if len(code) < childPrefix {
			return nil
		}
		if kind == backstop.ClockCaseDebt {
			funnelChild(part, code[:childPrefix]).OverdueDebts++
		}
		rest, ok := strings.CutPrefix(subject, "case:")
		if !ok {
			return nil
		}
		idText, _, _ := strings.Cut(rest, ":")
		if id, err := strconv.ParseInt(idText, 10, 64); err == nil {
			late[id] = code[:childPrefix]
		}
		return nil
	})
	for _, code := range late {
		funnelChild(part, code).Overdue++
	}
	return err
}

// funnelSpans groups the monitored latest cases by report (the case's
// opening, Beijing date) and inclusion (风险识别) date. ("state || ”"
// keeps SQLite on cases_loop, which covers the query, rather than
// cases_state, which does not.)
func (db *DB) funnelSpans(ctx context.Context, part *backstop.FunnelCounts, ac string, args []any) error {
	q := `SELECT reported_on, identified_on, COUNT(*) FROM cases` +
		where(ac, "NOT superseded", "identified_on <> ''", "state || '' IN ('active', 'clearing', 'cleared', 'held')") + ` GROUP BY reported_on, identified_on`
	return db.funnelScan(ctx, q, args, func(rows *sql.Rows) error {
		var span backstop.InclusionSpan
		if err := rows.Scan(&span.From, &span.To, &span.Cases); err != nil {
			return err
		}
		part.Spans = append(part.Spans, span)
		return nil
	})
}

// funnelMeasures counts the measures not refused by category, read per
// village in the order of measures_loop (no sort) and added up here.
func (db *DB) funnelMeasures(ctx context.Context, part *backstop.FunnelCounts, ac string, args []any) error {
	q := `SELECT village_code, category, COUNT(*), SUM(CASE WHEN status IN ('in_progress', 'done') OR started_on <> '' THEN 1 ELSE 0 END) FROM measures` +
		where("status <> 'refused'", ac) + ` GROUP BY village_code, category`
	return db.funnelScan(ctx, q, args, func(rows *sql.Rows) error {
		var village, cat string
		var n, started int
		if err := rows.Scan(&village, &cat, &n, &started); err != nil {
			return err
		}
		part.Measures[cat] += n
		part.Started[cat] += started
		return nil
	})
}
