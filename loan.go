package backstop

import (
	"context"
	"time"
)

// Microcredit for people lifted out of poverty (脱贫人口小额信贷, issue 12
// item 5): loans of a household from a bank for production use, with their
// caps, terms and interest subsidy from policy rows, extension (展期) and
// renewal (续贷) after a disaster, papers granted missing (容缺办理、先办后补)
// with their due date, and reminders before each instalment.

// LoanKind is what a loan is to the household's other loans.
type LoanKind string

// Loan kinds.
const (
	LoanNew       LoanKind = "new"       // a first loan
	LoanTopUp     LoanKind = "top_up"    // 追加: more on top of an outstanding loan
	LoanExtension LoanKind = "extension" // 展期: an outstanding loan's due date moved
	LoanRenewal   LoanKind = "renewal"   // 续贷: a due loan repaid by a new one
)

// LoanKinds lists them.
var LoanKinds = []LoanKind{LoanNew, LoanTopUp, LoanExtension, LoanRenewal}

// LoanState is where a loan stands. Applied, granted, extended, repaid and
// refused are stored; repaying and overdue are date facts of a granted
// loan, computed on the day asked (LoanStateOn), never stored.
type LoanState string

// Loan states.
const (
	LoanApplied  LoanState = "applied"
	LoanGranted  LoanState = "granted"  // granted, before its first instalment
	LoanRepaying LoanState = "repaying" // granted, instalments under way
	LoanExtended LoanState = "extended" // carried on by an extension
	LoanRepaid   LoanState = "repaid"   // repaid, or settled by a renewal
	LoanOverdue  LoanState = "overdue"  // granted and past its due date
	LoanRefused  LoanState = "refused"
)

// LoanStates lists them in the order of a loan's life.
var LoanStates = []LoanState{LoanApplied, LoanGranted, LoanRepaying, LoanExtended, LoanOverdue, LoanRepaid, LoanRefused}

// LoanStateOn is the state of a loan on a day (YYYY-MM-DD): a granted loan
// past its due date is overdue, one whose first instalment day has come is
// repaying. The SQL of the lists and counts says the same (loanStateSQL).
func LoanStateOn(stored LoanState, firstDue, due, day string) LoanState {
	if stored != LoanGranted {
		return stored
	}
	switch {
	case due != "" && due < day:
		return LoanOverdue
	case firstDue != "" && firstDue <= day:
		return LoanRepaying
	}
	return LoanGranted
}

// LoanPaper is a paper of a loan's file; one granted missing (容缺) has a
// due date to fill it by.
type LoanPaper struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Due      string `json:"due"` // YYYY-MM-DD, the last day
	FilledOn string `json:"filled_on,omitempty"`
	FilledBy string `json:"filled_by,omitempty"`
	// Overdue: not filled and past its due day.
	Overdue bool `json:"overdue"`
}

// LoanException records a loan recorded outside a rule: the rules broken,
// why, and who approved it.
type LoanException struct {
	Rules      []string `json:"rules"`
	Reason     string   `json:"reason"`
	ApprovedBy string   `json:"approved_by"`
}

// Loan is one loan of a household. The borrower's ID number is kept as
// entered and masked in every answer (Mask).
type Loan struct {
	ID          int64    `json:"id"`
	Household   string   `json:"household"`
	HouseholdID int64    `json:"-"`
	Village     string   `json:"village_code"`
	HeadName    string   `json:"head_name,omitempty"`
	Kind        LoanKind `json:"kind"`
	ParentID    int64    `json:"parent_id,omitempty"`
	Bank        string   `json:"bank"`
	Amount      float64  `json:"amount"`
	TermMonths  int      `json:"term_months"`
	Rate        float64  `json:"rate"` // percent a year
	Purpose     string   `json:"purpose"`
	PurposeName string   `json:"purpose_name"`
	Borrower    string   `json:"borrower"` // the member's name
	BorrowerID  string   `json:"borrower_id_number"`
	// BorrowerMember is the borrower's person number (人编号).
	BorrowerMember string    `json:"borrower_member"`
	BorrowerAge    int       `json:"borrower_age"` // at application
	AppliedOn      string    `json:"applied_on"`
	GrantedOn      string    `json:"granted_on,omitempty"`
	FirstDue       string    `json:"first_due_on,omitempty"`
	Due            string    `json:"due_on,omitempty"`
	RepaidOn       string    `json:"repaid_on,omitempty"`
	Stored         LoanState `json:"-"`
	State          LoanState `json:"state"`
	// SubsidizedPrincipal is the part of the amount with interest subsidy
	// (none above the subsidy cap per household); SubsidyPct the share of
	// the loan's interest subsidised over its term, by the period rows.
	SubsidizedPrincipal float64        `json:"subsidized_principal"`
	SubsidyPct          float64        `json:"subsidy_pct"`
	PolicyIDs           []int64        `json:"policy_ids"`
	Exception           *LoanException `json:"exception,omitempty"`
	Papers              []LoanPaper    `json:"missing_papers,omitempty"`
	// PapersOpen counts papers granted missing and not filled.
	PapersOpen int       `json:"papers_open"`
	StreamID   int64     `json:"-"`
	Version    int       `json:"version"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// Mask hides the borrower's ID number (first 6 and last 4 characters).
func (l *Loan) Mask() *Loan {
	c := *l
	c.BorrowerID = MaskIDNumber(l.BorrowerID)
	return &c
}

// Outstanding tells a loan whose principal is still owed (it counts
// against the household's caps).
func (l *Loan) Outstanding() bool {
	return l.Stored == LoanApplied || l.Stored == LoanGranted
}

// Limits of a loan's fields: beyond them an entry is a typing error (the
// policy caps are far below).
const (
	MaxLoanAmount     = 1e7
	MaxLoanTermMonths = 360
	MaxLoanRate       = 36
	MaxLoanBankRunes  = 100
	MaxLoanNoteRunes  = 500
	MaxLoanPapers     = 50
)

// LoanFilter selects loans of the user's region.
type LoanFilter struct {
	Household string
	Region    string
	State     LoanState
	Kind      LoanKind
	Bank      string
	// Today is the day the computed states are of (YYYY-MM-DD).
	Today  string
	Offset int
	Limit  int
}

// LoanExtensionProposal is a household with an outstanding loan whose
// verified loss report shows repayment difficulty: proposed for 展期.
type LoanExtensionProposal struct {
	LoanID      int64   `json:"loan_id"`
	Household   string  `json:"household"`
	HeadName    string  `json:"head_name"`
	Village     string  `json:"village_code"`
	Amount      float64 `json:"amount"`
	Due         string  `json:"due_on"`
	LossReport  int64   `json:"loss_report_id"`
	ProductLoss float64 `json:"production_loss_yuan"`
	PolicyID    int64   `json:"policy_id"`
}

// LoanMissingPaper is a paper granted missing, with its loan.
type LoanMissingPaper struct {
	LoanID    int64  `json:"loan_id"`
	Household string `json:"household"`
	HeadName  string `json:"head_name"`
	Village   string `json:"village_code"`
	LoanPaper
}

// Clock and stream kinds of loans.
const (
	ClockLoanPapers     = "loan.papers"     // papers granted missing, due by a day
	ClockLoanInstalment = "loan.instalment" // reminders before each instalment
	StreamLoan          = "loan"
)

// LoanService stores loans.
type LoanService interface {
	// CreateLoan stores an applied loan with its audit row; the
	// household must be in the user's region (else ENOTFOUND).
	// outstanding is the principal the caller saw the household owe
	// (LoanOutstanding); a loan stored meanwhile makes it ECONFLICT.
	CreateLoan(ctx context.Context, l *Loan, outstanding float64) error
	FindLoan(ctx context.Context, id int64) (*Loan, error)
	FindLoans(ctx context.Context, f LoanFilter) ([]*Loan, int, error)
	// HouseholdLoans lists every loan of a household of the user's region.
	HouseholdLoans(ctx context.Context, number string) ([]*Loan, error)
	// GrantLoan moves an applied loan (at version) to granted with its
	// papers missing and clocks; a renewal's or extension's parent moves
	// to repaid or extended in the same transaction, both by
	// compare-and-set (ECONFLICT when either changed).
	GrantLoan(ctx context.Context, l *Loan, version int, clocks []*Clock) error
	// SetLoanState moves a loan from one stored state to another (refused,
	// repaid) by compare-and-set on its version.
	SetLoanState(ctx context.Context, id int64, version int, from, to LoanState, on string) (*Loan, error)
	// FillLoanPaper records a missing paper filled; the papers' clock is
	// met when none is left.
	FillLoanPaper(ctx context.Context, id int64, code, on string) (*Loan, error)
	// LoanCounts counts the loans of region (the user's when "") by state
	// on a day.
	LoanCounts(ctx context.Context, region, today string) (map[string]int, error)
	// LoanExtensionProposals lists outstanding granted loans of region
	// whose household's current verified loss report lost at least share
	// of the loan's amount in production (production facilities, crops,
	// livestock, wages, net of claims), and that have no extension yet.
	LoanExtensionProposals(ctx context.Context, region string, share float64, offset, limit int) ([]*LoanExtensionProposal, int, error)
	// LoanMissingPapers lists papers granted missing and not filled.
	LoanMissingPapers(ctx context.Context, region, today string, offset, limit int) ([]*LoanMissingPaper, int, error)
}

// LoanOutstanding is the principal a household owes on loans: granted
// loans, and new loans and top-ups applied for (an extension or renewal
// applied for carries its parent's principal, counted on the parent).
func LoanOutstanding(loans []*Loan, except int64) float64 {
	var sum float64
	for _, l := range loans {
		if l.ID == except {
			continue
		}
		if l.Stored == LoanGranted || l.Stored == LoanApplied && (l.Kind == LoanNew || l.Kind == LoanTopUp) {
			sum += l.Amount
		}
	}
	return sum
}

// Permissions of microcredit: reading loans (and the lists of proposals
// and missing papers), managing them (apply, grant, papers, repaid), and
// approving a loan outside a rule as an exception.
const (
	PermReadLoans      Permission = "loans:read"
	PermManageLoans    Permission = "loans:manage"
	PermApproveLoanExc Permission = "loans:approve_exception"
)

// The loan permissions join the role table here, beside the capability,
// so that the table's lines stay as they were.
func init() {
	for role, ps := range map[Role][]Permission{
		RoleAdmin:    {PermReadLoans, PermManageLoans, PermApproveLoanExc},
		RoleCity:     {PermReadLoans, PermManageLoans, PermApproveLoanExc},
		RoleCounty:   {PermReadLoans, PermManageLoans, PermApproveLoanExc},
		RoleTownship: {PermReadLoans, PermManageLoans},
		RoleVillage:  {PermReadLoans, PermManageLoans},
		RoleAuditor:  {PermReadLoans},
	} {
		rolePermissions[role] = append(rolePermissions[role], ps...)
	}
	permissionNames[PermReadLoans] = Named{"查看小额信贷", "read microcredit loans"}
	permissionNames[PermManageLoans] = Named{"办理小额信贷", "manage microcredit loans"}
	permissionNames[PermApproveLoanExc] = Named{"批准小额信贷例外", "approve a loan outside a rule"}
}
