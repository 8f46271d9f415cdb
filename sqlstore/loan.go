package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Microcredit (issue 12 item 5): loans of households, scoped by the
// household's village in every query; state changes by compare-and-set on
// the loan's version.

// loanStateSQL is LoanStateOn in SQL: the state of a loan on the day
// bound at its placeholder.
const loanStateSQL = `CASE WHEN l.state = 'granted' AND l.due_on <> '' AND l.due_on < ? THEN 'overdue'
 WHEN l.state = 'granted' AND l.first_due_on <> '' AND l.first_due_on <= ? THEN 'repaying' ELSE l.state END`

const loanColumns = `l.id, h.number, l.village_code, h.head_name, l.kind, COALESCE(l.parent_id, 0), l.bank, l.amount, l.term_months, l.rate, l.purpose, l.purpose_name,
 l.borrower_name, l.borrower_id_number, l.borrower_age, l.applied_on, l.granted_on, l.first_due_on, l.due_on, l.repaid_on, l.state,
 l.subsidized_principal, l.subsidy_pct, l.policy_ids, l.exception_rules, l.exception_reason, l.exception_by, l.stream_id, l.version, l.created_by, l.created_at, l.household_id,
 (SELECT count(*) FROM loan_papers p WHERE p.loan_id = l.id AND p.filled_on = '')`

func scanLoan(sc interface{ Scan(...any) error }, today string) (*backstop.Loan, error) {
	var l backstop.Loan
	var ids, rules, reason, by string
	if err := sc.Scan(&l.ID, &l.Household, &l.Village, &l.HeadName, &l.Kind, &l.ParentID, &l.Bank, &l.Amount, &l.TermMonths, &l.Rate, &l.Purpose, &l.PurposeName,
		&l.Borrower, &l.BorrowerID, &l.BorrowerAge, &l.AppliedOn, &l.GrantedOn, &l.FirstDue, &l.Due, &l.RepaidOn, &l.Stored,
		&l.SubsidizedPrincipal, &l.SubsidyPct, &ids, &rules, &reason, &by, &l.StreamID, &l.Version, &l.CreatedBy, &l.CreatedAt, &l.HouseholdID, &l.PapersOpen); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(ids), &l.PolicyIDs)
	if rules != "" {
		l.Exception = &backstop.LoanException{Rules: strings.Split(rules, ","), Reason: reason, ApprovedBy: by}
	}
	l.State = backstop.LoanStateOn(l.Stored, l.FirstDue, l.Due, today)
	return &l, nil
}

// outstandingIn is the principal a household owes (backstop.LoanOutstanding).
func (db *DB) outstandingIn(ctx context.Context, ex execer, householdID int64) (float64, error) {
	var sum float64
	err := ex.QueryRowContext(ctx, db.q(`SELECT COALESCE(SUM(amount), 0) FROM loans WHERE household_id = ? AND (state = 'granted' OR (state = 'applied' AND kind IN ('new', 'top_up')))`), householdID).Scan(&sum)
	return sum, err
}

// CreateLoan stores an applied loan with its stream and audit row.
func (db *DB) CreateLoan(ctx context.Context, l *backstop.Loan, outstanding float64) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	rules, reason, by := "", "", ""
	if l.Exception != nil {
		rules, reason, by = strings.Join(l.Exception.Rules, ","), l.Exception.Reason, l.Exception.ApprovedBy
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		hid, village, err := db.householdInScope(ctx, tx, u, l.Household)
		if err != nil {
			return err
		}
		// Two loans of one household at once: one waits for the other.
		if err := db.lockRow(ctx, tx, "households", hid); err != nil {
			return err
		}
		have, err := db.outstandingIn(ctx, tx, hid)
		if err != nil {
			return err
		}
		if math.Abs(have-outstanding) > 0.005 {
			return backstop.Localized(backstop.ECONFLICT, "该户的贷款刚被他人修改（未还本金%.2f元，而不是%.2f元），请刷新后重试", "The household's loans changed meanwhile (%.2f yuan outstanding, not %.2f): reload and retry.", have, outstanding)
		}
		if l.ParentID != 0 {
			var parentHousehold int64
			if err := tx.QueryRowContext(ctx, db.q(`SELECT household_id FROM loans WHERE id = ?`), l.ParentID).Scan(&parentHousehold); err == sql.ErrNoRows || (err == nil && parentHousehold != hid) {
				return backstop.Localized(backstop.EINVALID, "原贷款（parent_id）%d不是该户的贷款", "Loan %d (parent_id) is not a loan of this household.", l.ParentID)
			} else if err != nil {
				return err
			}
		}
		l.HouseholdID, l.Village = hid, village
		id, err := db.oneID(ctx, tx, "loans")
		if err != nil {
			return err
		}
		stream, err := db.oneID(ctx, tx, "streams")
		if err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, stream, backstop.StreamLoan, id, backstop.StreamDone, time.Time{}, now); err != nil {
			return err
		}
		l.ID, l.StreamID, l.Stored, l.State, l.Version, l.CreatedBy, l.CreatedAt = id, stream, backstop.LoanApplied, backstop.LoanApplied, 1, u.Name, now
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO loans (id, household_id, village_code, kind, parent_id, bank, amount, term_months, rate, purpose, purpose_name,
 borrower_member, borrower_name, borrower_id_number, borrower_age, applied_on, state, subsidized_principal, subsidy_pct, policy_ids,
 exception_rules, exception_reason, exception_by, stream_id, version, created_by, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`),
			id, hid, village, string(l.Kind), nullID(l.ParentID), l.Bank, l.Amount, l.TermMonths, l.Rate, l.Purpose, l.PurposeName,
			l.BorrowerMember, l.Borrower, l.BorrowerID, l.BorrowerAge, l.AppliedOn, string(backstop.LoanApplied), l.SubsidizedPrincipal, l.SubsidyPct, mustJSON(l.PolicyIDs),
			rules, reason, by, stream, u.Name, now, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("household %s, kind %s, %.0f yuan, %d months", l.Household, l.Kind, l.Amount, l.TermMonths)
		if err := db.auditIn(ctx, tx, village, "loan.apply", "loan", fmt.Sprint(id), detail); err != nil {
			return err
		}
		if l.Exception != nil {
			return db.auditIn(ctx, tx, village, "loan.exception", "loan", fmt.Sprint(id), "rules "+rules+": "+reason)
		}
		return nil
	})
}

// FindLoan reads a loan of the user's region with its papers.
func (db *DB) FindLoan(ctx context.Context, id int64) (*backstop.Loan, error) {
	return db.findLoan(ctx, db.read, id)
}

func (db *DB) findLoan(ctx context.Context, ex execer, id int64) (*backstop.Loan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	today := db.today()
	scope, args := scopeWhere(u, "l.village_code")
	l, err := scanLoan(ex.QueryRowContext(ctx, db.q(`SELECT `+loanColumns+` FROM loans l JOIN households h ON h.id = l.household_id`+where("l.id = ?", scope)),
		append([]any{id}, args...)...), today)
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该笔贷款", EN: "The loan"})
	} else if err != nil {
		return nil, db.translate(err)
	}
	rows, err := ex.QueryContext(ctx, db.q(`SELECT code, name, due_on, filled_on, filled_by FROM loan_papers WHERE loan_id = ? ORDER BY code`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p backstop.LoanPaper
		if err := rows.Scan(&p.Code, &p.Name, &p.Due, &p.FilledOn, &p.FilledBy); err != nil {
			return nil, err
		}
		p.Overdue = p.FilledOn == "" && p.Due < today
		l.Papers = append(l.Papers, p)
	}
	return l, rows.Err()
}

// today is the day of the computed states, in Beijing.
func (db *DB) today() string {
	return db.now().In(backstop.Beijing).Format("2006-01-02")
}

// FindLoans pages the loans of the user's region, newest first.
func (db *DB) FindLoans(ctx context.Context, f backstop.LoanFilter) ([]*backstop.Loan, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	today := f.Today
	if today == "" {
		today = db.today()
	}
	scope, args := scopeWhere(u, "l.village_code")
	conds := []string{scope}
	within, wargs, err := regionWithin(f.Region, "l.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds, args = append(conds, within), append(args, wargs...)
	if f.Household != "" {
		conds, args = append(conds, "h.number = ?"), append(args, f.Household)
	}
	if f.Kind != "" {
		conds, args = append(conds, "l.kind = ?"), append(args, string(f.Kind))
	}
	if f.Bank != "" {
		conds, args = append(conds, "l.bank = ?"), append(args, f.Bank)
	}
	// A state as conditions the village index serves (loanStateSQL's
	// cases, one by one).
	switch f.State {
	case "":
	case backstop.LoanOverdue:
		conds, args = append(conds, "l.state = 'granted' AND l.due_on <> '' AND l.due_on < ?"), append(args, today)
	case backstop.LoanRepaying:
		conds, args = append(conds, "l.state = 'granted' AND (l.due_on = '' OR l.due_on >= ?) AND l.first_due_on <> '' AND l.first_due_on <= ?"), append(args, today, today)
	case backstop.LoanGranted:
		conds, args = append(conds, "l.state = 'granted' AND (l.due_on = '' OR l.due_on >= ?) AND (l.first_due_on = '' OR l.first_due_on > ?)"), append(args, today, today)
	default:
		conds, args = append(conds, "l.state = ?"), append(args, string(f.State))
	}
	from := ` FROM loans l JOIN households h ON h.id = l.household_id` + where(conds...)
	// The count needs the household only to match its number.
	counted := from
	if f.Household == "" {
		counted = ` FROM loans l` + where(conds...)
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+counted), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+loanColumns+from+` ORDER BY l.id DESC LIMIT ? OFFSET ?`), append(args, pageLimit(f.Limit), f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Loan{}
	for rows.Next() {
		l, err := scanLoan(rows, today)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, rows.Err()
}

// HouseholdLoans lists every loan of a household of the user's region.
func (db *DB) HouseholdLoans(ctx context.Context, number string) ([]*backstop.Loan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	hid, _, err := db.householdInScope(ctx, db.read, u, number)
	if err != nil {
		return nil, err
	}
	today := db.today()
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+loanColumns+` FROM loans l JOIN households h ON h.id = l.household_id WHERE l.household_id = ? ORDER BY l.id`), hid)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Loan{}
	for rows.Next() {
		l, err := scanLoan(rows, today)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// GrantLoan grants an applied loan by compare-and-set, with its missing
// papers and clocks; an extension's parent becomes extended, a renewal's
// repaid, by compare-and-set on granted.
func (db *DB) GrantLoan(ctx context.Context, l *backstop.Loan, version int, clocks []*backstop.Clock) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	scope, sargs := scopeWhere(u, "village_code")
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE loans SET state = 'granted', granted_on = ?, first_due_on = ?, due_on = ?, rate = ?, version = version + 1, updated_at = ?`+
			where("id = ?", "version = ?", "state = 'applied'", scope)), append([]any{l.GrantedOn, l.FirstDue, l.Due, l.Rate, now, l.ID, version}, sargs...)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return backstop.Localized(backstop.ECONFLICT, "该笔贷款已被他人办理或已不是申请状态，请刷新后重试", "The loan changed meanwhile or is no longer applied for: reload and retry.")
		}
		if l.ParentID != 0 && (l.Kind == backstop.LoanExtension || l.Kind == backstop.LoanRenewal) {
			to, repaid := string(backstop.LoanExtended), ""
			if l.Kind == backstop.LoanRenewal {
				to, repaid = string(backstop.LoanRepaid), l.GrantedOn
			}
			res, err := tx.ExecContext(ctx, db.q(`UPDATE loans SET state = ?, repaid_on = CASE WHEN ? <> '' THEN ? ELSE repaid_on END, version = version + 1, updated_at = ? WHERE id = ? AND state = 'granted'`),
				to, repaid, repaid, now, l.ParentID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return backstop.Localized(backstop.ECONFLICT, "原贷款%d已不是放款状态（可能已展期、续贷或还清），请刷新后重试", "Loan %d is no longer granted (extended, renewed or repaid meanwhile): reload and retry.", l.ParentID)
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = 'cancelled', stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = 'running'`),
				now, backstop.ClockLoanInstalment, fmt.Sprintf("loan:%d", l.ParentID)); err != nil {
				return err
			}
		}
		for _, p := range l.Papers {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO loan_papers (loan_id, code, name, due_on) VALUES (?, ?, ?, ?)`), l.ID, p.Code, p.Name, p.Due); err != nil {
				return err
			}
		}
		for _, c := range clocks {
			c.Subject, c.Region = fmt.Sprintf("loan:%d", l.ID), l.Village
			if err := db.insertClock(ctx, tx, c); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("granted %s, due %s", l.GrantedOn, l.Due)
		if len(l.Papers) > 0 {
			detail += fmt.Sprintf(", %d papers missing", len(l.Papers))
		}
		return db.auditIn(ctx, tx, l.Village, "loan.grant", "loan", fmt.Sprint(l.ID), detail)
	})
}

// SetLoanState moves a loan between stored states by compare-and-set.
func (db *DB) SetLoanState(ctx context.Context, id int64, version int, from, to backstop.LoanState, on string) (*backstop.Loan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, sargs := scopeWhere(u, "village_code")
	now := db.now().UTC()
	var village string
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT village_code FROM loans`+where("id = ?", scope)), append([]any{id}, sargs...)...).Scan(&village); err == sql.ErrNoRows {
		return nil, backstop.NotInRegion(u, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该笔贷款", EN: "The loan"}), "贷款", "the loan")
	} else if err != nil {
		return nil, db.translate(err)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		repaid := ""
		if to == backstop.LoanRepaid {
			repaid = on
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE loans SET state = ?, repaid_on = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ? AND state = ?`),
			string(to), repaid, now, id, version, string(from))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return backstop.Localized(backstop.ECONFLICT, "该笔贷款已被他人修改，请刷新后重试", "The loan changed meanwhile: reload and retry.")
		}
		for _, kind := range []string{backstop.ClockLoanInstalment, backstop.ClockLoanPapers} {
			if to == backstop.LoanRepaid && kind == backstop.ClockLoanPapers {
				continue // papers are owed after repayment too
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = 'cancelled', stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = 'running'`),
				now, kind, fmt.Sprintf("loan:%d", id)); err != nil {
				return err
			}
		}
		return db.auditIn(ctx, tx, village, "loan."+string(to), "loan", fmt.Sprint(id), on)
	})
	if err != nil {
		return nil, err
	}
	return db.FindLoan(ctx, id)
}

// FillLoanPaper records a missing paper filled; the last one meets the
// papers' clock.
func (db *DB) FillLoanPaper(ctx context.Context, id int64, code, on string) (*backstop.Loan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	l, err := db.FindLoan(ctx, id)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "贷款", "the loan")
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE loan_papers SET filled_on = ?, filled_by = ? WHERE loan_id = ? AND code = ? AND filled_on = ''`), on, u.Name, id, code)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return backstop.Localized(backstop.EINVALID, "材料“%s”不在该笔贷款待补的材料中，或已补齐", "Paper %q is not missing on this loan, or was filled already.", code)
		}
		var open int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM loan_papers WHERE loan_id = ? AND filled_on = ''`), id).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = 'met', stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = 'running'`),
				now, backstop.ClockLoanPapers, fmt.Sprintf("loan:%d", id)); err != nil {
				return err
			}
		}
		name := code
		for _, p := range l.Papers {
			if p.Code == code {
				name = p.Name
			}
		}
		return db.auditIn(ctx, tx, l.Village, "loan.paper", "loan", fmt.Sprint(id), name+" filled on "+on)
	})
	if err != nil {
		return nil, err
	}
	return db.FindLoan(ctx, id)
}

// LoanCounts counts the loans of region by state on a day: one grouped
// query over the village index.
func (db *DB) LoanCounts(ctx context.Context, region, today string) (map[string]int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "l.village_code")
	within, wargs, err := regionWithin(region, "l.village_code")
	if err != nil {
		return nil, err
	}
	args = append([]any{today, today}, append(args, wargs...)...)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+loanStateSQL+` AS st, count(*) FROM loans l`+where(scope, within)+` GROUP BY st`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for _, s := range backstop.LoanStates {
		out[string(s)] = 0
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// LoanExtensionProposals lists granted loans of households whose current
// verified loss report shows repayment difficulty, with no extension yet.
func (db *DB) LoanExtensionProposals(ctx context.Context, region string, share float64, offset, limit int) ([]*backstop.LoanExtensionProposal, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "l.village_code")
	within, wargs, err := regionWithin(region, "l.village_code")
	if err != nil {
		return nil, 0, err
	}
	loss := `(r.production_loss + r.crop_loss + r.livestock_loss + r.wage_loss - r.claims)`
	args = append(append([]any{share}, args...), wargs...)
	from := ` FROM loans l JOIN households h ON h.id = l.household_id
 JOIN loss_reports r ON r.household_id = l.household_id AND r.is_current AND r.state = 'verified'
 AND r.id = (SELECT max(r2.id) FROM loss_reports r2 WHERE r2.household_id = l.household_id AND r2.is_current AND r2.state = 'verified')` +
		where("l.state = 'granted'", loss+" >= ? * l.amount",
			"NOT EXISTS (SELECT 1 FROM loans x WHERE x.parent_id = l.id AND x.kind = 'extension' AND x.state <> 'refused')", scope, within)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT l.id, h.number, h.head_name, l.village_code, l.amount, l.due_on, r.id, `+loss+from+` ORDER BY l.due_on, l.id LIMIT ? OFFSET ?`),
		append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.LoanExtensionProposal{}
	for rows.Next() {
		var p backstop.LoanExtensionProposal
		if err := rows.Scan(&p.LoanID, &p.Household, &p.HeadName, &p.Village, &p.Amount, &p.Due, &p.LossReport, &p.ProductLoss); err != nil {
			return nil, 0, err
		}
		out = append(out, &p)
	}
	return out, total, rows.Err()
}

// LoanMissingPapers lists the papers granted missing and not filled,
// soonest due first.
func (db *DB) LoanMissingPapers(ctx context.Context, region, today string, offset, limit int) ([]*backstop.LoanMissingPaper, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "l.village_code")
	within, wargs, err := regionWithin(region, "l.village_code")
	if err != nil {
		return nil, 0, err
	}
	args = append(args, wargs...)
	from := ` FROM loan_papers p JOIN loans l ON l.id = p.loan_id JOIN households h ON h.id = l.household_id` + where("p.filled_on = ''", "l.state <> 'refused'", scope, within)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT l.id, h.number, h.head_name, l.village_code, p.code, p.name, p.due_on`+from+` ORDER BY p.due_on, l.id, p.code LIMIT ? OFFSET ?`),
		append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.LoanMissingPaper{}
	for rows.Next() {
		var p backstop.LoanMissingPaper
		if err := rows.Scan(&p.LoanID, &p.Household, &p.HeadName, &p.Village, &p.Code, &p.Name, &p.Due); err != nil {
			return nil, 0, err
		}
		p.Overdue = p.Due < today
		out = append(out, &p)
	}
	return out, total, rows.Err()
}
