package loans

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// GrantInput is a bank's grant of an applied loan: the day, the rate of
// the contract (the policy rate when 0), the papers granted missing
// (codes of loans.papers), and the version the officer saw.
type GrantInput struct {
	GrantedOn     string   `json:"granted_on"`
	Rate          float64  `json:"rate,omitempty"`
	MissingPapers []string `json:"missing_papers,omitempty"`
	Version       int      `json:"version,omitempty"`
}

// found turns "not found" of a write into the answer outside the region.
func found(ctx context.Context, err error) error {
	return backstop.NotInRegion(backstop.UserFromContext(ctx), err, "贷款", "the loan")
}

// Grant records an applied loan granted: its first instalment and due
// day, its papers missing with their due day in working days (a clock
// that reminds the helper and flags them overdue), and the reminders
// before each instalment.
func (s *Service) Grant(ctx context.Context, id int64, in GrantInput) (*backstop.Loan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageLoans); err != nil {
		return nil, err
	}
	l, err := s.Store.FindLoan(ctx, id)
	if err != nil {
		return nil, found(ctx, err)
	}
	if l.Stored != backstop.LoanApplied {
		return nil, backstop.Localized(backstop.ECONFLICT, "该笔贷款已不是申请状态，不能再放款", "The loan is no longer applied for.")
	}
	version := in.Version
	if version == 0 {
		version = l.Version
	}
	granted, ok := parseDay(in.GrantedOn)
	var problems []backstop.Problem
	switch {
	case !ok:
		problems = append(problems, problem("granted_on", "a date (YYYY-MM-DD)", "请填写放款日期（YYYY-MM-DD）"))
	case in.GrantedOn < l.AppliedOn:
		problems = append(problems, problem("granted_on", "not before the application", "放款日期不能早于申请日期"))
	case in.GrantedOn > s.today():
		problems = append(problems, problem("granted_on", "not in the future", "放款日期不能晚于今天"))
	}
	if math.IsNaN(in.Rate) || in.Rate < 0 || in.Rate > backstop.MaxLoanRate {
		problems = append(problems, problem("rate", fmt.Sprintf("0 to %d percent a year", backstop.MaxLoanRate), fmt.Sprintf("年利率须在0至%d%%之间", backstop.MaxLoanRate)))
	}
	if len(in.MissingPapers) > backstop.MaxLoanPapers {
		problems = append(problems, problem("missing_papers", fmt.Sprintf("at most %d papers", backstop.MaxLoanPapers), fmt.Sprintf("缺少的材料最多%d项", backstop.MaxLoanPapers)))
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	if in.Rate > 0 {
		l.Rate = in.Rate
	}
	l.GrantedOn = granted.Format(time.DateOnly)
	start := granted
	if l.Kind == backstop.LoanExtension {
		parent, err := s.Store.FindLoan(ctx, l.ParentID)
		if err != nil {
			return nil, err
		}
		if d, ok := parseDay(parent.Due); ok {
			start = d
		}
	}
	l.Due = start.AddDate(0, l.TermMonths, 0).Format(time.DateOnly)
	every, err := s.policy(ctx, backstop.PolicyLoanInstalmentMonths, l.Village, granted)
	if err != nil {
		return nil, err
	}
	l.FirstDue = min(granted.AddDate(0, int(every.Value), 0).Format(time.DateOnly), l.Due)
	var clocks []*backstop.Clock
	if len(in.MissingPapers) > 0 {
		list, err := s.policy(ctx, backstop.PolicyLoanPapers, l.Village, granted)
		if err != nil {
			return nil, err
		}
		items, err := list.ListItems()
		if err != nil {
			return nil, err
		}
		due, err := s.policy(ctx, backstop.PolicyLoanPapersDue, l.Village, granted)
		if err != nil {
			return nil, err
		}
		c, err := s.Clocks.New(ctx, backstop.ClockLoanPapers, "", l.Village, granted, due)
		if err != nil {
			return nil, err
		}
		if early := c.Due.AddDate(0, 0, -2); early.After(s.now()) {
			c.FireAt = &early // a reminder two days before, then the overdue notice
		}
		clocks = append(clocks, c)
		seen := map[string]bool{}
		for n, code := range in.MissingPapers {
			i := slices.IndexFunc(items, func(it backstop.ListItem) bool { return it.Code == code })
			if i < 0 || seen[code] {
				return nil, invalid([]backstop.Problem{problem("missing_papers["+strconv.Itoa(n)+"]", fmt.Sprintf("%q is no paper of %s, or named twice", code, list.Key),
					fmt.Sprintf("“%s”不在材料清单（%s）中，或重复", code, list.Key))})
			}
			seen[code] = true
			l.Papers = append(l.Papers, backstop.LoanPaper{Code: code, Name: items[i].ZH, Due: c.DueDate})
		}
		l.PolicyIDs = append(l.PolicyIDs, list.ID, due.ID)
	}
	if c := s.instalmentClock(ctx, l, granted, every); c != nil {
		clocks = append(clocks, c)
	}
	if err := s.Store.GrantLoan(ctx, l, version, clocks); err != nil {
		return nil, found(ctx, err)
	}
	return s.Loan(ctx, id)
}

// instalmentClock runs from the grant to the due day and fires the
// reminder days before each instalment (nil when the first is past).
func (s *Service) instalmentClock(ctx context.Context, l *backstop.Loan, granted time.Time, every *backstop.Policy) *backstop.Clock {
	days, err := s.policy(ctx, backstop.PolicyLoanReminderDays, l.Village, granted)
	if err != nil {
		s.logger().Warn("loan: no reminder days", "loan", l.ID, "err", err)
		return nil
	}
	due, _ := parseDay(l.Due)
	next := nextInstalment(granted, due, int(every.Value), s.now())
	if next.IsZero() {
		return nil
	}
	fire := next.AddDate(0, 0, -int(days.Value)).Add(9 * time.Hour)
	if fire.Before(s.now()) {
		fire = s.now()
	}
	return &backstop.Clock{Kind: backstop.ClockLoanInstalment, StartedAt: granted, LimitValue: math.Round(due.Sub(granted).Hours() / 24), LimitUnit: backstop.UnitDays,
		PolicyID: days.ID, Due: due.AddDate(0, 0, 1), DueDate: l.Due, State: backstop.ClockRunning, FireAt: &fire}
}

// nextInstalment is the first instalment day (every months from the grant,
// the last on the due day) not before now's day; zero when none is left.
func nextInstalment(granted, due time.Time, every int, now time.Time) time.Time {
	today := now.In(backstop.Beijing).Format(time.DateOnly)
	for k := 1; ; k++ {
		d := granted.AddDate(0, k*every, 0)
		if d.After(due) {
			d = due
		}
		if d.Format(time.DateOnly) >= today {
			return d
		}
		if !d.Before(due) {
			return time.Time{}
		}
	}
}

// StateInput moves a loan: its day and the version seen.
type StateInput struct {
	On      string `json:"on"`
	Version int    `json:"version,omitempty"`
}

// Refuse records an applied loan refused by the bank; Repaid a granted
// loan repaid.
func (s *Service) Refuse(ctx context.Context, id int64, in StateInput) (*backstop.Loan, error) {
	return s.move(ctx, id, in, backstop.LoanApplied, backstop.LoanRefused)
}

// Repaid records a granted loan repaid.
func (s *Service) Repaid(ctx context.Context, id int64, in StateInput) (*backstop.Loan, error) {
	return s.move(ctx, id, in, backstop.LoanGranted, backstop.LoanRepaid)
}

func (s *Service) move(ctx context.Context, id int64, in StateInput, from, to backstop.LoanState) (*backstop.Loan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageLoans); err != nil {
		return nil, err
	}
	l, err := s.Store.FindLoan(ctx, id)
	if err != nil {
		return nil, found(ctx, err)
	}
	if _, ok := parseDay(in.On); !ok || in.On > s.today() || in.On < l.AppliedOn {
		return nil, invalid([]backstop.Problem{problem("on", "a date (YYYY-MM-DD), from the application to today", "请填写日期（YYYY-MM-DD），不早于申请日期、不晚于今天")})
	}
	if l.Stored != from {
		return nil, &backstop.Error{Code: backstop.ECONFLICT, Message: fmt.Sprintf("The loan is %s: it cannot change so.", l.State), ZH: fmt.Sprintf("该笔贷款现为“%s”，不能这样变更", stateZH[l.State])}
	}
	version := in.Version
	if version == 0 {
		version = l.Version
	}
	out, err := s.Store.SetLoanState(ctx, id, version, from, to, in.On)
	if err != nil {
		return nil, found(ctx, err)
	}
	return out.Mask(), nil
}

var stateZH = map[backstop.LoanState]string{backstop.LoanApplied: "已申请", backstop.LoanGranted: "已放款", backstop.LoanRepaying: "还款中", backstop.LoanExtended: "已展期",
	backstop.LoanRepaid: "已结清", backstop.LoanOverdue: "已逾期", backstop.LoanRefused: "未获批"}

// PaperInput records a missing paper filled.
type PaperInput struct {
	Code     string `json:"code"`
	FilledOn string `json:"filled_on"`
}

// FillPaper records a paper granted missing as filled.
func (s *Service) FillPaper(ctx context.Context, id int64, in PaperInput) (*backstop.Loan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageLoans); err != nil {
		return nil, err
	}
	if _, ok := parseDay(in.FilledOn); !ok || in.FilledOn > s.today() {
		return nil, invalid([]backstop.Problem{problem("filled_on", "a date (YYYY-MM-DD), not in the future", "请填写补齐日期（YYYY-MM-DD），不能晚于今天")})
	}
	code := strings.TrimSpace(in.Code)
	if code == "" || len(code) > backstop.MaxPolicyItemLength {
		return nil, invalid([]backstop.Problem{problem("code", "the paper's code", "请选择补齐的材料")})
	}
	l, err := s.Store.FillLoanPaper(ctx, id, code, in.FilledOn)
	if err != nil {
		return nil, found(ctx, err)
	}
	return l.Mask(), nil
}

// Loan reads one loan, the borrower's ID number masked.
func (s *Service) Loan(ctx context.Context, id int64) (*backstop.Loan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadLoans); err != nil {
		return nil, err
	}
	l, err := s.Store.FindLoan(ctx, id)
	if err != nil {
		return nil, err
	}
	return l.Mask(), nil
}

// HouseholdLoans lists a household's loans, masked.
func (s *Service) HouseholdLoans(ctx context.Context, number string) ([]*backstop.Loan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadLoans); err != nil {
		return nil, err
	}
	ls, err := s.Store.HouseholdLoans(ctx, number)
	if err != nil {
		return nil, err
	}
	for i, l := range ls {
		ls[i] = l.Mask()
	}
	return ls, nil
}

// Loans pages the loans of the user's region, masked; the filter's values
// are checked here.
func (s *Service) Loans(ctx context.Context, f backstop.LoanFilter) ([]*backstop.Loan, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadLoans); err != nil {
		return nil, 0, err
	}
	if f.State != "" && !slices.Contains(backstop.LoanStates, f.State) {
		return nil, 0, invalid([]backstop.Problem{problem("state", "applied, granted, repaying, extended, overdue, repaid or refused", "贷款状态有误")})
	}
	if f.Kind != "" && !slices.Contains(backstop.LoanKinds, f.Kind) {
		return nil, 0, invalid([]backstop.Problem{problem("kind", "new, top_up, extension or renewal", "贷款类型有误")})
	}
	if len(f.Bank) > 300 || len(f.Household) > 64 {
		return nil, 0, invalid([]backstop.Problem{problem("bank", "at most 100 characters", "银行名称最多100个字")})
	}
	f.Today = s.today()
	ls, total, err := s.Store.FindLoans(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	for i, l := range ls {
		ls[i] = l.Mask()
	}
	return ls, total, nil
}

// LoanCounts counts the loans of a region (the user's when "") by state
// today: the dashboard's "loans by state".
func (s *Service) LoanCounts(ctx context.Context, region string) (map[string]int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadLoans); err != nil {
		return nil, err
	}
	return s.Store.LoanCounts(ctx, region, s.today())
}

// ExtensionProposals lists the loans proposed for extension: the
// household's verified loss report lost, in production net of claims, at
// least the policy share of the loan (the report has no repayment-
// difficulty field; the rule is loans.difficulty_loss_share).
func (s *Service) ExtensionProposals(ctx context.Context, region string, offset, limit int) ([]*backstop.LoanExtensionProposal, int, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadLoans)
	if err != nil {
		return nil, 0, err
	}
	where := u.Region
	if region != "" {
		if where, err = backstop.NormalizeRegionCode(region); err != nil {
			return nil, 0, invalid([]backstop.Problem{problem("region", backstop.ErrorMessage(err), "地区代码有误")})
		}
	}
	p, err := s.policy(ctx, backstop.PolicyLoanDifficultyShare, where, s.now())
	if err != nil {
		return nil, 0, err
	}
	ps, total, err := s.Store.LoanExtensionProposals(ctx, region, p.Value, offset, limit)
	for _, x := range ps {
		x.PolicyID = p.ID
	}
	return ps, total, err
}

// MissingPapers lists the papers granted missing and not filled, the
// overdue ones flagged.
func (s *Service) MissingPapers(ctx context.Context, region string, offset, limit int) ([]*backstop.LoanMissingPaper, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadLoans); err != nil {
		return nil, 0, err
	}
	return s.Store.LoanMissingPapers(ctx, region, s.today(), offset, limit)
}

// AuditExport records an export of the loans list.
func (s *Service) AuditExport(ctx context.Context, filter string) error {
	return s.Store.Audit(ctx, "loan.export", "loan", "list", filter)
}

// Purposes and Papers are the lists in force for a region today, for the
// forms.
func (s *Service) Purposes(ctx context.Context, region string) ([]backstop.ListItem, error) {
	return s.list(ctx, backstop.PolicyLoanPurposes, region)
}

// Papers: see Purposes.
func (s *Service) Papers(ctx context.Context, region string) ([]backstop.ListItem, error) {
	return s.list(ctx, backstop.PolicyLoanPapers, region)
}

func (s *Service) list(ctx context.Context, key, region string) ([]backstop.ListItem, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadLoans); err != nil {
		return nil, err
	}
	p, err := s.policy(ctx, key, region, s.now())
	if err != nil {
		return nil, err
	}
	return p.ListItems()
}
