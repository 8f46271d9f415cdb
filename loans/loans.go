// Package loans is the use case of microcredit for people lifted out of
// poverty (脱贫人口小额信贷, issue 12 item 5): a household's loans applied
// for under the policy rows in force (caps, top-up, term, borrower's age,
// production purposes, extension and renewal limits), each refusal naming
// the rule it breaks — or recorded as an exception with who approved it —,
// the interest subsidy share by period, grants with papers missing
// (容缺办理、先办后补) on a working-day clock that reminds the helper, a
// reminder before each instalment, and the extension proposals for
// households whose verified loss report shows repayment difficulty.
package loans

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
)

// Store is what loans need of storage.
type Store interface {
	backstop.LoanService
	backstop.PolicyService
	backstop.AuditService
	FindHousehold(ctx context.Context, number string) (*backstop.Household, error)
}

// Service runs the loan use cases.
type Service struct {
	Store  Store
	Clocks *clock.Engine
	Logger *slog.Logger
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) today() string { return s.now().In(backstop.Beijing).Format(time.DateOnly) }

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func problem(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func invalid(problems []backstop.Problem) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The loan has %d problem(s): %s: %s.", len(problems), problems[0].Path, problems[0].Reason),
		ZH: fmt.Sprintf("贷款有 %d 处问题：%s", len(problems), problems[0].ReasonZH), Details: problems}
}

// policy reads a key in force for a region on a day; a missing row is an
// error naming the key and the day.
func (s *Service) policy(ctx context.Context, key, region string, day time.Time) (*backstop.Policy, error) {
	p, err := s.Store.PolicyAt(ctx, key, region, day)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”（%s适用的版本）：请管理员在政策参数中设置", "The policy %s is not set for %s: an admin must add a version.",
			key, day.Format(time.DateOnly))
	}
	return p, err
}

func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), backstop.Beijing)
	return t, err == nil
}

// ExceptionInput asks to record a loan outside its rules: why.
type ExceptionInput struct {
	Reason string `json:"reason"`
}

// ApplyInput is a loan as applied for. Rate, when 0, is the policy rate
// in force; ParentID names the loan an extension or renewal carries on
// (the household's only granted loan when 0).
type ApplyInput struct {
	Kind       string  `json:"kind"`
	Bank       string  `json:"bank"`
	Amount     float64 `json:"amount"`
	TermMonths int     `json:"term_months"`
	Rate       float64 `json:"rate,omitempty"`
	Purpose    string  `json:"purpose"`
	Borrower   string  `json:"borrower_id_number"`
	// BorrowerMember names the borrower by person number (人编号) instead,
	// for forms that never show the ID number.
	BorrowerMember string          `json:"borrower_member,omitempty"`
	AppliedOn      string          `json:"applied_on"`
	ParentID       int64           `json:"parent_id,omitempty"`
	Exception      *ExceptionInput `json:"exception,omitempty"`
}

// broken is a rule a loan breaks: the field, the policy row, and why.
type broken struct {
	field, key string
	policy     int64
	zh, en     string
}

func (b broken) problem() backstop.Problem {
	return problem(b.field, fmt.Sprintf("breaks rule %s (policy %d): %s", b.key, b.policy, b.en), fmt.Sprintf("不符合政策规则“%s”（第%d版）：%s", b.key, b.policy, b.zh))
}

// Apply records a loan applied for by a household, under the rules in
// force on the day of application.
func (s *Service) Apply(ctx context.Context, number string, in ApplyInput) (*backstop.Loan, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageLoans)
	if err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	kind := backstop.LoanKind(in.Kind)
	if !slices.Contains(backstop.LoanKinds, kind) {
		problems = append(problems, problem("kind", "new, top_up, extension or renewal", "贷款类型须为 new（新增）、top_up（追加）、extension（展期）或 renewal（续贷）"))
	}
	bank := strings.TrimSpace(in.Bank)
	if n := utf8.RuneCountInString(bank); n == 0 || n > backstop.MaxLoanBankRunes {
		problems = append(problems, problem("bank", fmt.Sprintf("the lending bank, at most %d characters", backstop.MaxLoanBankRunes), fmt.Sprintf("请填写放贷银行（最多%d个字）", backstop.MaxLoanBankRunes)))
	}
	if math.IsNaN(in.Amount) || in.Amount < 0 || in.Amount > backstop.MaxLoanAmount || in.Amount == 0 && kind != backstop.LoanExtension {
		problems = append(problems, problem("amount", fmt.Sprintf("above 0, at most %.0f yuan", backstop.MaxLoanAmount), fmt.Sprintf("贷款金额须大于0且不超过%.0f元", backstop.MaxLoanAmount)))
	}
	if in.TermMonths < 1 || in.TermMonths > backstop.MaxLoanTermMonths {
		problems = append(problems, problem("term_months", fmt.Sprintf("1 to %d months", backstop.MaxLoanTermMonths), fmt.Sprintf("期限须为1至%d个月", backstop.MaxLoanTermMonths)))
	}
	if math.IsNaN(in.Rate) || in.Rate < 0 || in.Rate > backstop.MaxLoanRate {
		problems = append(problems, problem("rate", fmt.Sprintf("0 to %d percent a year", backstop.MaxLoanRate), fmt.Sprintf("年利率须在0至%d%%之间", backstop.MaxLoanRate)))
	}
	purpose := strings.TrimSpace(in.Purpose)
	if purpose == "" || len(purpose) > backstop.MaxPolicyItemLength {
		problems = append(problems, problem("purpose", "a purpose code from the policy list loans.purposes", "请选择贷款用途"))
	}
	applied, ok := parseDay(in.AppliedOn)
	if !ok {
		problems = append(problems, problem("applied_on", "a date (YYYY-MM-DD)", "请填写申请日期（YYYY-MM-DD）"))
	} else if in.AppliedOn > s.today() {
		problems = append(problems, problem("applied_on", "not in the future", "申请日期不能晚于今天"))
	}
	var id string
	if in.BorrowerMember == "" || in.Borrower != "" {
		var err error
		if id, _, err = backstop.ValidateIDNumber(in.Borrower); err != nil {
			problems = append(problems, problem("borrower_id_number", backstop.ErrorMessage(err), "借款人证件号码有误："+backstop.ErrorMessageZH(err)))
		}
	}
	if in.Exception != nil && (strings.TrimSpace(in.Exception.Reason) == "" || utf8.RuneCountInString(in.Exception.Reason) > backstop.MaxLoanNoteRunes) {
		problems = append(problems, problem("exception.reason", fmt.Sprintf("an exception needs its reason, at most %d characters", backstop.MaxLoanNoteRunes),
			fmt.Sprintf("例外办理须写明理由（最多%d个字）", backstop.MaxLoanNoteRunes)))
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	h, err := s.Store.FindHousehold(ctx, number)
	if err != nil {
		return nil, err
	}
	var member *backstop.Member
	for _, m := range h.Members {
		if id != "" && strings.EqualFold(m.IDNumber, id) || id == "" && m.Number == in.BorrowerMember {
			member = m
		}
	}
	if member == nil {
		return nil, invalid([]backstop.Problem{problem("borrower_id_number", "the borrower must be a member of the household", "借款人须为该户家庭成员")})
	}
	id, birth, err := backstop.ValidateIDNumber(member.IDNumber)
	if err != nil {
		return nil, invalid([]backstop.Problem{problem("borrower_id_number", "the borrower's ID number in the registry carries no birth date", "登记的借款人证件号码有误，无法计算年龄")})
	}
	loans, err := s.Store.HouseholdLoans(ctx, number)
	if err != nil {
		return nil, err
	}
	l := &backstop.Loan{Household: h.Number, Kind: kind, Bank: bank, Amount: in.Amount, TermMonths: in.TermMonths, Rate: in.Rate, Purpose: purpose,
		Borrower: member.Name, BorrowerID: id, BorrowerMember: member.Number, AppliedOn: applied.Format(time.DateOnly)}
	l.BorrowerAge = (&backstop.Member{BirthDate: birth.Format(time.DateOnly)}).Age(applied)
	rules, err := s.check(ctx, h.VillageCode, l, loans, in.ParentID, applied)
	if err != nil {
		return nil, err
	}
	if len(rules) > 0 {
		if in.Exception == nil {
			ps := make([]backstop.Problem, len(rules))
			for i, r := range rules {
				ps[i] = r.problem()
			}
			return nil, invalid(ps)
		}
		if _, err := backstop.Authorize(ctx, backstop.PermApproveLoanExc); err != nil {
			return nil, err
		}
		if l.PolicyIDs == nil { // the subsidy was not computed: its period's row is missing
			if _, _, err := s.subsidyPct(ctx, h.VillageCode, applied, l.TermMonths); err != nil {
				return nil, err
			}
		}
		l.Exception = &backstop.LoanException{Reason: strings.TrimSpace(in.Exception.Reason), ApprovedBy: u.Name}
		for _, r := range rules {
			l.Exception.Rules = append(l.Exception.Rules, r.key)
		}
	}
	if err := s.Store.CreateLoan(ctx, l, backstop.LoanOutstanding(loans, 0)); err != nil {
		return nil, err
	}
	return l.Mask(), nil
}

// check applies the rules in force to a loan: it fills the purpose's name,
// the rate, the parent, the subsidised principal and share and the policy
// ids used, and returns the rules the loan breaks.
func (s *Service) check(ctx context.Context, village string, l *backstop.Loan, loans []*backstop.Loan, parentID int64, day time.Time) ([]broken, error) {
	var out []broken
	var ids []int64
	get := func(key string) (*backstop.Policy, error) {
		p, err := s.policy(ctx, key, village, day)
		if err == nil {
			ids = append(ids, p.ID)
		}
		return p, err
	}
	// The borrower's age.
	ages, err := get(backstop.PolicyLoanBorrowerAge)
	if err != nil {
		return nil, err
	}
	var age struct{ From, To float64 }
	if err := jsonUnmarshal(ages.Data, &age); err != nil {
		return nil, err
	}
	if a := float64(l.BorrowerAge); a < age.From || a > age.To {
		out = append(out, broken{"borrower_id_number", ages.Key, ages.ID, fmt.Sprintf("借款人申请时须年满%.0f周岁且不超过%.0f周岁，现为%d周岁", age.From, age.To, l.BorrowerAge),
			fmt.Sprintf("the borrower must be %.0f to %.0f years old at application, is %d", age.From, age.To, l.BorrowerAge)})
	}
	// The purpose: production uses of the list only.
	purposes, err := get(backstop.PolicyLoanPurposes)
	if err != nil {
		return nil, err
	}
	items, err := purposes.ListItems()
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.Code == l.Purpose {
			l.PurposeName = it.ZH
		}
	}
	if l.PurposeName == "" {
		names := make([]string, len(items))
		for i, it := range items {
			names[i] = it.ZH
		}
		out = append(out, broken{"purpose", purposes.Key, purposes.ID, fmt.Sprintf("“%s”不是生产经营用途，消费性用途不予办理（可用：%s）", l.Purpose, strings.Join(names, "、")),
			fmt.Sprintf("%q is no production use; consumption purposes are refused", l.Purpose)})
		l.PurposeName = l.Purpose
	}
	if l.Rate == 0 {
		p, err := get(backstop.PolicyLoanRate)
		if err != nil {
			return nil, err
		}
		l.Rate = p.Value
	}
	// The parent of an extension or renewal.
	byID := map[int64]*backstop.Loan{}
	for _, x := range loans {
		byID[x.ID] = x
	}
	var parent *backstop.Loan
	if l.Kind == backstop.LoanExtension || l.Kind == backstop.LoanRenewal {
		if parentID == 0 {
			var granted []*backstop.Loan
			for _, x := range loans {
				if x.Stored == backstop.LoanGranted {
					granted = append(granted, x)
				}
			}
			if len(granted) != 1 {
				return nil, invalid([]backstop.Problem{problem("parent_id", fmt.Sprintf("name the loan carried on: the household has %d granted loans", len(granted)),
					fmt.Sprintf("请指明展期或续贷的原贷款（该户有%d笔已放款的贷款）", len(granted)))})
			}
			parent = granted[0]
		} else if parent = byID[parentID]; parent == nil {
			return nil, invalid([]backstop.Problem{problem("parent_id", "not a loan of this household", "原贷款不是该户的贷款")})
		}
		if parent.Stored != backstop.LoanGranted {
			return nil, invalid([]backstop.Problem{problem("parent_id", "only a granted loan is extended or renewed", "只有已放款、未还清的贷款才能展期或续贷")})
		}
		l.ParentID = parent.ID
	}
	times := func(kind backstop.LoanKind) int {
		n := 0
		for p := parent; p != nil; p = byID[p.ParentID] {
			if p.Kind == kind {
				n++
			}
			if p.ParentID == 0 {
				break
			}
		}
		return n
	}
	capOf := func(key string) (*backstop.Policy, error) { return get(key) }
	var except int64
	if parent != nil {
		except = parent.ID
	}
	owed := backstop.LoanOutstanding(loans, except)
	subsidyCap, err := capOf(backstop.PolicyLoanSubsidyCap)
	if err != nil {
		return nil, err
	}
	l.SubsidizedPrincipal = math.Max(0, math.Min(l.Amount, subsidyCap.Value-owed))
	switch l.Kind {
	case backstop.LoanNew, backstop.LoanTopUp, backstop.LoanRenewal:
		term, err := capOf(backstop.PolicyLoanTermMax)
		if err != nil {
			return nil, err
		}
		if float64(l.TermMonths) > term.Value {
			out = append(out, broken{"term_months", term.Key, term.ID, fmt.Sprintf("期限不超过%.0f个月，现为%d个月", term.Value, l.TermMonths),
				fmt.Sprintf("the term is at most %.0f months, not %d", term.Value, l.TermMonths)})
		}
		key := backstop.PolicyLoanAmountCap
		if l.Kind == backstop.LoanTopUp || l.Kind == backstop.LoanRenewal && owed > 0 {
			key = backstop.PolicyLoanHouseholdCap
		}
		if l.Kind == backstop.LoanTopUp && owed == 0 {
			return nil, invalid([]backstop.Problem{problem("kind", "a top-up needs an outstanding loan", "追加贷款须有未还清的贷款；首次贷款请选“新增”")})
		}
		c, err := capOf(key)
		if err != nil {
			return nil, err
		}
		if owed+l.Amount > c.Value {
			out = append(out, broken{"amount", c.Key, c.ID, fmt.Sprintf("户均贷款不超过%.0f元：该户未还%.0f元，本次%.0f元，合计%.0f元", c.Value, owed, l.Amount, owed+l.Amount),
				fmt.Sprintf("a household owes at most %.0f yuan: %.0f owed and %.0f asked make %.0f", c.Value, owed, l.Amount, owed+l.Amount)})
		}
		if l.Kind == backstop.LoanRenewal {
			n, err := capOf(backstop.PolicyLoanRenewalTimes)
			if err != nil {
				return nil, err
			}
			if float64(times(backstop.LoanRenewal)+1) > n.Value {
				out = append(out, broken{"kind", n.Key, n.ID, fmt.Sprintf("一笔贷款最多续贷%.0f次", n.Value), fmt.Sprintf("a loan is renewed at most %.0f times", n.Value)})
			}
			if l.Amount > parent.Amount {
				return nil, invalid([]backstop.Problem{problem("amount", "a renewal lends at most the loan it repays", fmt.Sprintf("续贷金额不能超过原贷款金额%.0f元", parent.Amount))})
			}
		}
	case backstop.LoanExtension:
		if l.Amount == 0 {
			l.Amount = parent.Amount
		}
		if l.Amount != parent.Amount {
			return nil, invalid([]backstop.Problem{problem("amount", "an extension carries the loan's amount", fmt.Sprintf("展期金额即原贷款金额%.0f元", parent.Amount))})
		}
		l.SubsidizedPrincipal = parent.SubsidizedPrincipal
		m, err := capOf(backstop.PolicyLoanExtensionMonths)
		if err != nil {
			return nil, err
		}
		if float64(l.TermMonths) > m.Value {
			out = append(out, broken{"term_months", m.Key, m.ID, fmt.Sprintf("展期不超过%.0f个月，现为%d个月", m.Value, l.TermMonths),
				fmt.Sprintf("an extension is at most %.0f months, not %d", m.Value, l.TermMonths)})
		}
		n, err := capOf(backstop.PolicyLoanExtensionTimes)
		if err != nil {
			return nil, err
		}
		if float64(times(backstop.LoanExtension)+1) > n.Value {
			out = append(out, broken{"kind", n.Key, n.ID, fmt.Sprintf("一笔贷款最多展期%.0f次", n.Value), fmt.Sprintf("a loan is extended at most %.0f times", n.Value)})
		}
	}
	// The interest subsidy share, month by month over the term, by the
	// period rows in force.
	start := day
	if l.Kind == backstop.LoanExtension {
		if d, ok := parseDay(parent.Due); ok {
			start = d
		}
	}
	pct, pids, err := s.subsidyPct(ctx, village, start, l.TermMonths)
	if err != nil {
		if len(out) > 0 {
			// Refused on its rules already: those are the answer (an
			// exception to them still meets the missing period).
			return out, nil
		}
		return nil, err
	}
	ids = append(ids, subsidyCap.ID)
	ids = append(ids, pids...)
	if l.Amount > 0 {
		l.SubsidyPct = math.Round(pct*l.SubsidizedPrincipal/l.Amount*100) / 100
	}
	slices.Sort(ids)
	l.PolicyIDs = slices.Compact(ids)
	return out, nil
}

// subsidyPct is the mean percent of the interest subsidised over months
// from start, each month by the period row in force on its first day; a
// month without a row is an error naming it.
func (s *Service) subsidyPct(ctx context.Context, village string, start time.Time, months int) (float64, []int64, error) {
	var sum float64
	var ids []int64
	for i := 0; i < months; i++ {
		day := start.AddDate(0, i, 0)
		p, err := s.Store.PolicyAt(ctx, backstop.PolicyLoanSubsidyPct, village, day)
		if backstop.ErrorCode(err) == backstop.ENOTFOUND {
			return 0, nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少%d年%d月适用的贴息比例（政策参数“%s”）：请管理员补充该时段的政策行，系统不按默认值计算",
				"No interest subsidy row (%[3]s) applies to %[1]d-%02[2]d: an admin must add the period; there is no default.", day.Year(), int(day.Month()), backstop.PolicyLoanSubsidyPct)
		} else if err != nil {
			return 0, nil, err
		}
		sum += p.Value
		if !slices.Contains(ids, p.ID) {
			ids = append(ids, p.ID)
		}
	}
	return sum / float64(months), ids, nil
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return &backstop.Error{Code: backstop.EINVALID, Message: "A policy's data is malformed: " + err.Error(), ZH: "政策数据格式有误"}
	}
	return nil
}
