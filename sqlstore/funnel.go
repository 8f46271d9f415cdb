package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// FunnelCounts counts the loop of a region and its sub-regions (child
// codes childPrefix digits long) in a few grouped scans: households found
// at risk, cases by stage, overdue steps and debts, the report-to-
// inclusion dates, measures by category. Households are counted once per
// figure (a household lies in one village, so the sub-regions' figures
// add up to the region's).
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
	out := &backstop.FunnelCounts{Children: map[string]*backstop.FunnelFigures{}, Measures: map[string]int{}, Started: map[string]int{}}
	child := func(code string) *backstop.FunnelFigures {
		f := out.Children[code]
		if f == nil {
			f = &backstop.FunnelFigures{}
			out.Children[code] = f
		}
		return f
	}
	sub := func(col string) string { return "substr(" + col + ", 1, " + strconv.Itoa(childPrefix) + ")" }
	scan := func(query string, args []any, each func(rows *sql.Rows) error) error {
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

	// Found: a case, or else a current at-risk assessment (the latter
	// counted here, the households with a case below).
	ac, aargs, err := in("village_code")
	if err != nil {
		return nil, err
	}
	found := `SELECT ` + sub("a.village_code") + `, COUNT(*) FROM assessments a` + where("a.is_current", "a.at_risk", strings.ReplaceAll(ac, "village_code", "a.village_code"),
		"NOT EXISTS (SELECT 1 FROM cases c WHERE c.household_id = a.household_id)") + ` GROUP BY 1`
	if err := scan(found, aargs, func(rows *sql.Rows) error {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		child(code).Unopened = n
		return nil
	}); err != nil {
		return nil, err
	}

	// Cases by stage, each household once, and the open procedure debts
	// the cases keep count of.
	stages := `SELECT ` + sub("village_code") + `, COUNT(DISTINCT household_id),
		COUNT(DISTINCT CASE WHEN state IN ('active', 'clearing', 'cleared', 'held') THEN household_id END),
		COUNT(DISTINCT CASE WHEN state = 'cleared' THEN household_id END),
		COUNT(DISTINCT CASE WHEN state = 'held' THEN household_id END),
		SUM(CASE WHEN state IN ('in_procedure', 'active', 'clearing', 'held') THEN 1 ELSE 0 END),
		SUM(CASE WHEN green_channel THEN 1 ELSE 0 END), SUM(open_debts)
		FROM cases` + where(ac) + ` GROUP BY 1`
	if err := scan(stages, aargs, func(rows *sql.Rows) error {
		var code string
		var withCase int
		f := &backstop.FunnelFigures{}
		if err := rows.Scan(&code, &withCase, &f.Monitored, &f.Cleared, &f.Held, &f.Open, &f.GreenChannel, &f.OpenDebts); err != nil {
			return err
		}
		c := child(code)
		c.Found = withCase
		c.Monitored, c.Cleared, c.Held, c.Open, c.GreenChannel, c.OpenDebts = f.Monitored, f.Cleared, f.Held, f.Open, f.GreenChannel, f.OpenDebts
		return nil
	}); err != nil {
		return nil, err
	}

	// Helped: a monitored case with a measure started or done.
	cc, cargs, err := in("c.village_code")
	if err != nil {
		return nil, err
	}
	helped := `SELECT ` + sub("c.village_code") + `, COUNT(DISTINCT c.household_id) FROM cases c` +
		where("c.state IN ('active', 'clearing', 'cleared', 'held')", cc,
			"EXISTS (SELECT 1 FROM measures m WHERE m.case_id = c.id AND (m.status IN ('in_progress', 'done') OR m.started_on <> ''))") + ` GROUP BY 1`
	if err := scan(helped, cargs, func(rows *sql.Rows) error {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		child(code).Helped = n
		return nil
	}); err != nil {
		return nil, err
	}

	// Open cases with a step or a debt past due: the running case clocks
	// past due (few), each case counted once.
	kc, kargs, err := in("region_code")
	if err != nil {
		return nil, err
	}
	late := map[int64]string{}
	overdue := `SELECT kind, subject, region_code FROM clocks` + where(kc, "state = ?", "due_at <= ?", "kind IN (?, ?)")
	if err := scan(overdue, append(kargs, string(backstop.ClockRunning), now.UTC(), backstop.ClockCaseStep, backstop.ClockCaseDebt), func(rows *sql.Rows) error {
		var kind, subject, code string
		if err := rows.Scan(&kind, &subject, &code); err != nil {
			return err
		}
		if kind == backstop.ClockCaseDebt && len(code) >= childPrefix {
			child(code[:childPrefix]).OverdueDebts++
		}
		rest, ok := strings.CutPrefix(subject, "case:")
		if !ok {
			return nil
		}
		idText, _, _ := strings.Cut(rest, ":")
		if id, err := strconv.ParseInt(idText, 10, 64); err == nil && len(code) >= childPrefix {
			late[id] = code[:childPrefix]
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, code := range late {
		child(code).Overdue++
	}

	// Report (the case's opening) to inclusion (风险识别), grouped by the
	// two dates; the opening is a timestamp, read as Beijing's date here.
	spans := map[[2]string]int{}
	inclusion := `SELECT created_at, identified_on FROM cases` + where(ac, "identified_on <> ''", "state IN ('active', 'clearing', 'cleared', 'held')")
	if err := scan(inclusion, aargs, func(rows *sql.Rows) error {
		var at time.Time
		var on string
		if err := rows.Scan(&at, &on); err != nil {
			return err
		}
		spans[[2]string{at.In(backstop.Beijing).Format(time.DateOnly), on}]++
		return nil
	}); err != nil {
		return nil, err
	}
	for k, n := range spans {
		out.Spans = append(out.Spans, backstop.InclusionSpan{From: k[0], To: k[1], Cases: n})
	}

	// Measures by category.
	measures := `SELECT category, COUNT(*), SUM(CASE WHEN status IN ('in_progress', 'done') OR started_on <> '' THEN 1 ELSE 0 END) FROM measures` +
		where("status <> 'refused'", ac) + ` GROUP BY category`
	if err := scan(measures, aargs, func(rows *sql.Rows) error {
		var cat string
		var n, started int
		if err := rows.Scan(&cat, &n, &started); err != nil {
			return err
		}
		out.Measures[cat], out.Started[cat] = n, started
		return nil
	}); err != nil {
		return nil, err
	}

	for _, f := range out.Children {
		f.Found += f.Unopened
		t := &out.Total
		t.Found += f.Found
		t.Unopened += f.Unopened
		t.Monitored += f.Monitored
		t.Helped += f.Helped
		t.Cleared += f.Cleared
		t.Held += f.Held
		t.Open += f.Open
		t.Overdue += f.Overdue
		t.OpenDebts += f.OpenDebts
		t.OverdueDebts += f.OverdueDebts
		t.GreenChannel += f.GreenChannel
	}
	return out, nil
}
