package backstop

import (
	"context"
	"encoding/json"
	"time"
)

// A case (监测帮扶案件) carries one at-risk household through monitoring,
// help and clearing (issue 12; notice 二(三), 二(四)): identified by a
// procedure that is data (a named list of steps with roles and clocks),
// or at once on the green channel (先帮扶后履行相关程序) with the steps not
// yet done kept as procedure debts (程序待补); helped by measures (一户一策);
// cleared (风险消除) by a second procedure, or held (暂不标注) when the
// household has no labour and lives on the safety net. One case is one
// identification episode: 再标注 opens a new case linked to the old one,
// 回退 reverses a clearing within the same case. Records are never deleted.

// CaseState is where a case stands.
type CaseState string

// Case states.
const (
	CaseInProcedure CaseState = "in_procedure" // identification procedure running; not yet 监测对象
	CaseActive      CaseState = "active"       // 监测对象 (approved, or green channel)
	CaseClearing    CaseState = "clearing"     // clearing procedure running; still 监测对象
	CaseCleared     CaseState = "cleared"      // risk cleared (风险消除)
	CaseHeld        CaseState = "held"         // 暂不标注: no labour, on the safety net; stays watched
	CaseRefused     CaseState = "refused"      // refused at a step; a re-check (复核) on appeal reopens it
)

// CaseStates lists them.
var CaseStates = []CaseState{CaseInProcedure, CaseActive, CaseClearing, CaseCleared, CaseHeld, CaseRefused}

// ParseCaseState checks a state name.
func ParseCaseState(s string) (CaseState, error) {
	for _, st := range CaseStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Localized(EINVALID, "案件状态（state）只能是 in_procedure（认定中）、active（监测帮扶中）、clearing（风险消除中）、cleared（已消除风险）、held（暂不标注）或 refused（未通过），不能是“%s”",
		"state must be in_procedure, active, clearing, cleared, held or refused, not %q", s)
}

// Open tells a state in which the household is an open case (at most one
// per household).
func (s CaseState) Open() bool {
	return s == CaseInProcedure || s == CaseActive || s == CaseClearing || s == CaseHeld
}

// Monitored tells a state in which the household is 监测对象.
func (s CaseState) Monitored() bool {
	return s == CaseActive || s == CaseClearing || s == CaseHeld
}

// CaseSource is where a case came from.
type CaseSource string

// Case sources.
const (
	CaseFromAssessment CaseSource = "assessment"  // a risk assessment (after a loss report)
	CaseFromSelfReport CaseSource = "self_report" // an intake item of a self-report
	CaseFromReferral   CaseSource = "referral"    // an intake item of a department's referral
	CaseFromManual     CaseSource = "manual"      // by hand
)

// CaseSources lists them.
var CaseSources = []CaseSource{CaseFromAssessment, CaseFromSelfReport, CaseFromReferral, CaseFromManual}

// ParseCaseSource checks a source name.
func ParseCaseSource(s string) (CaseSource, error) {
	for _, src := range CaseSources {
		if string(src) == s {
			return src, nil
		}
	}
	return "", Localized(EINVALID, "来源（source）只能是 assessment（风险研判）、self_report（农户自主申报）、referral（部门推送）或 manual（人工录入），不能是“%s”",
		"source must be assessment, self_report, referral or manual, not %q", s)
}

// Procedure phases: a case's steps belong to its identification or its
// clearing procedure.
const (
	PhaseIdentify = "identify"
	PhaseClear    = "clear"
)

// Step kinds tell what a step records besides its outcome; a county's
// procedure names its own steps and gives them these kinds.
const (
	StepKindApplication = "application" // signed consent to the family-finance check, scan or photo kept
	StepKindHomeCheck   = "home_check"  // two staff named
	StepKindCrossCheck  = "cross_check" // each department's answer recorded
	StepKindNotice      = "notice"      // public notice in the village, at least the policy's days
	StepKindApproval    = "approval"    // county approval: the household becomes 监测对象 (or is cleared)
	StepKindNational    = "national"    // entry into the national system
)

// Step outcomes.
const (
	OutcomePass = "pass"
	OutcomeFail = "fail"
	// OutcomeRecheck reopens a refused case at the step that refused it
	// (复核 on appeal); the step is then done again.
	OutcomeRecheck = "recheck"
	// OutcomeRevert is 回退 of a clearing (same episode, back to active).
	OutcomeRevert = "revert"
)

// ProcedureStep is one step of a named procedure, as its policy version
// says (PolicySteps data): the key, its names, the role that does it, its
// clock, and its kind.
type ProcedureStep struct {
	Code  string    `json:"code"`
	ZH    string    `json:"zh"`
	EN    string    `json:"en,omitempty"`
	Role  Role      `json:"role"`
	Limit float64   `json:"limit"`
	Unit  ClockUnit `json:"unit"`
	Kind  string    `json:"kind,omitempty"`
}

// ProcedureSteps reads the steps of a procedure policy version.
func (p *Policy) ProcedureSteps() ([]ProcedureStep, error) {
	var steps []ProcedureStep
	if err := json.Unmarshal(p.Data, &steps); err != nil || len(steps) == 0 {
		return nil, Localized(EINVALID, "政策参数“%s”（第%d版）不是程序步骤", "Policy %s (version %d) is not a list of steps.", p.Key, p.ID)
	}
	return steps, nil
}

// CaseBlock is the income and 三保障 + water block recorded at
// identification and again at clearing (POST-DISASTER.md "Income").
type CaseBlock struct {
	// NetIncome is 家庭纯收入 (yuan a year); ReferenceIncome the reference
	// income (纯收入 + 理赔收入 − 合规自付支出); per capita by People.
	NetIncome        float64 `json:"net_income"`
	Claims           float64 `json:"claims,omitempty"`
	MedicalSelfPaid  float64 `json:"medical_self_paid,omitempty"`
	People           int     `json:"people"`
	ReferenceIncome  float64 `json:"reference_income"`
	IncomePerCapita  float64 `json:"income_per_capita"`
	WageIncome       float64 `json:"wage_income,omitempty"`
	TransferIncome   float64 `json:"transfer_income,omitempty"`
	MonitoringLine   float64 `json:"monitoring_line,omitempty"`
	LinePolicyID     int64   `json:"line_policy_id,omitempty"`
	HousingUnsafe    bool    `json:"housing_unsafe"`    // 是否住房出现安全问题
	SchoolDropout    bool    `json:"school_dropout"`    // 是否义务教育阶段适龄儿童少年失学辍学
	WaterUnsafe      bool    `json:"water_unsafe"`      // 是否饮水出现安全问题
	MedicalUninsured bool    `json:"medical_uninsured"` // 是否有家庭成员未参加基本医疗保险
	RigidCostsOpen   bool    `json:"rigid_costs_open"`  // large medical or schooling costs not resolved
	AssessmentID     int64   `json:"assessment_id,omitempty"`
	RecordedOn       string  `json:"recorded_on,omitempty"` // YYYY-MM-DD
}

// BasicNeedsSecure tells 三保障 and water secure.
func (b *CaseBlock) BasicNeedsSecure() bool {
	return !b.HousingUnsafe && !b.SchoolDropout && !b.WaterUnsafe && !b.MedicalUninsured
}

// Clearing ways (风险消除方式).
const (
	ClearByHelp   = "help"    // 帮扶消除
	ClearByItself = "natural" // 自然消除
)

// Limits of a case's inputs.
const (
	MaxCaseRiskTypes = 5
	MaxCaseNote      = 500
	MaxStepStaff     = 2
	MaxCaseAnswers   = 30
	MaxMeasureText   = 200
)

// Case is one identification episode of a household.
type Case struct {
	ID          int64      `json:"id"`
	Household   string     `json:"household"`    // 户编号
	HouseholdID int64      `json:"-"`            // the registry row
	Village     string     `json:"village_code"` // for scope
	HeadName    string     `json:"head_name,omitempty"`
	Source      CaseSource `json:"source"`
	SourceID    int64      `json:"source_id,omitempty"` // assessment, intake item …
	// Procedure is the name of the identification procedure used and
	// PolicyID its policy version; ClearingProcedure and ClearingPolicyID
	// those of the clearing procedure, once one runs.
	Procedure         string          `json:"procedure"`
	ProcedureZH       string          `json:"procedure_name,omitempty"`
	PolicyID          int64           `json:"policy_id"`
	Steps             []ProcedureStep `json:"procedure_steps,omitempty"`
	ClearingProcedure string          `json:"clearing_procedure,omitempty"`
	ClearingPolicyID  int64           `json:"clearing_policy_id,omitempty"`
	ClearingSteps     []ProcedureStep `json:"clearing_steps,omitempty"`
	State             CaseState       `json:"state"`
	// Step is the code of the step due next ("" when none is).
	Step         string `json:"step,omitempty"`
	GreenChannel bool   `json:"green_channel"`
	// LossReportID is the verified loss report a green channel rests on.
	LossReportID int64 `json:"loss_report_id,omitempty"`
	// MonitorType is 监测对象类别 (脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户).
	MonitorType  string   `json:"monitor_type,omitempty"`
	IdentifiedOn string   `json:"identified_on,omitempty"` // 风险识别时间, YYYY-MM-DD
	RiskTypes    []string `json:"risk_types"`              // 100A27 codes, at most five
	// DisasterSubItem is the 因自然灾害 sub-item (洪涝灾害 …) and
	// DisasterNote its free text.
	DisasterSubItem string     `json:"disaster_sub_item,omitempty"`
	DisasterNote    string     `json:"disaster_note,omitempty"`
	Identification  *CaseBlock `json:"identification,omitempty"`
	Episode         int        `json:"episode"`
	PreviousCaseID  int64      `json:"previous_case_id,omitempty"`
	Clearing        *CaseBlock `json:"clearing,omitempty"`
	ClearWay        string     `json:"clear_way,omitempty"`
	ClearedOn       string     `json:"cleared_on,omitempty"`
	// OpenDebts counts the unpaid procedure debts (程序未完成 while > 0).
	OpenDebts   int   `json:"open_debts"`
	StreamID    int64 `json:"-"` // where its escalations go out
	OverdueDebt bool  `json:"overdue_debt,omitempty"`
	// StepClock is the running clock of the step due next, when one runs
	// (read with the case by the use case, not stored on its row).
	StepClock *Clock    `json:"step_clock,omitempty"`
	RefusedAt string    `json:"refused_at,omitempty"` // the step that refused it
	Note      string    `json:"note,omitempty"`
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Attachment is a file kept for a step (a consent scan or photo), stored
// like loss-report photos: a file named by its SHA-256, the row keeps the
// reference.
type Attachment struct {
	Hash        string `json:"hash"`
	ContentType string `json:"content_type"`
	Bytes       int64  `json:"bytes"`
	Name        string `json:"name,omitempty"`
}

// DepartmentAnswer is one department's answer in the data cross-check.
type DepartmentAnswer struct {
	Department string `json:"department"`
	Answer     string `json:"answer"`
	OK         bool   `json:"ok"`
}

// CaseStep is one recorded step outcome (a step done twice — after a
// 复核 — has two rows).
type CaseStep struct {
	ID          int64              `json:"id"`
	CaseID      int64              `json:"case_id"`
	Phase       string             `json:"phase"`
	Step        string             `json:"step"`
	Ordinal     int                `json:"ordinal"`
	Role        Role               `json:"role"`
	Outcome     string             `json:"outcome"`
	By          string             `json:"by"`
	At          time.Time          `json:"at"`
	Note        string             `json:"note,omitempty"`
	Attachments []Attachment       `json:"attachments,omitempty"`
	Staff       []string           `json:"staff,omitempty"`
	Answers     []DepartmentAnswer `json:"answers,omitempty"`
	// NoticeFrom and NoticeTo are a public notice's days (YYYY-MM-DD).
	NoticeFrom string `json:"notice_from,omitempty"`
	NoticeTo   string `json:"notice_to,omitempty"`
	PolicyID   int64  `json:"policy_id,omitempty"`
	// Late: done as a procedure debt's payment, after the case was active.
	Late bool `json:"late,omitempty"`
}

// CaseDebt is a procedure debt (程序待补) of a green-channel case: a step
// not done when the case became active, due by its policy clock.
type CaseDebt struct {
	ID      int64      `json:"id"`
	CaseID  int64      `json:"case_id"`
	Step    string     `json:"step"`
	ZH      string     `json:"zh,omitempty"`
	Due     string     `json:"due"` // YYYY-MM-DD, the last day
	DueAt   time.Time  `json:"due_at"`
	PaidAt  *time.Time `json:"paid_at,omitempty"`
	ClockID int64      `json:"clock_id,omitempty"`
	Overdue bool       `json:"overdue,omitempty"`
}

// StreamCase is the stream kind of a case's escalations.
const StreamCase = "case"

// Clock kinds of cases.
const (
	ClockCaseStep = "case.step" // the running step of a case (subject case:ID)
	ClockCaseDebt = "case.debt" // a procedure debt (subject case:ID:STEP)
)

// CaseFilter selects cases; the user's scope applies too.
type CaseFilter struct {
	State        string
	GreenChannel *bool
	HasDebts     bool
	Overdue      bool // a running step or a debt past its due
	// Stage selects the cases a figure of the loop's dashboard counts,
	// each household by its latest case: "found" (every latest case),
	// "monitored" (reached monitoring), "helped" (monitored, a measure
	// started or done), "cleared", "held" (暂不标注).
	Stage string
	// Category selects cases with a measure (not refused) of the category.
	Category  string
	Region    string
	Household string
	Now       time.Time
	// Keyset reads in id order after AfterID, without counting (the
	// total is -1): for walking every case.
	Keyset  bool
	AfterID int64
	Offset  int
	Limit   int
}

// CaseChange is one compare-and-set change of a case: the case's new
// fields (its Version the one read), the step recorded, the debts paid or
// made, the clocks stopped and started, and the monitoring decision that
// goes with it — all in one transaction, or nothing when the version moved
// on (ECONFLICT).
type CaseChange struct {
	Step       *CaseStep
	PayDebt    string      // step code of the debt this step pays
	NewDebts   []*CaseDebt // with their clocks (ClockID set by the store)
	DebtClocks []*Clock
	StopClocks []ClockStop
	Start      *Clock // the next step's clock
	Decision   *MonitoringDecision
	// Action and Detail name the audit row.
	Action, Detail string
}

// ClockStop names a running clock to stop.
type ClockStop struct {
	Kind, Subject string
	State         ClockState
}

// Measure statuses.
const (
	MeasurePlanned    = "planned"
	MeasureInProgress = "in_progress"
	MeasureDone       = "done"
	MeasureRefused    = "refused"
)

// MeasureStatuses lists them.
var MeasureStatuses = []string{MeasurePlanned, MeasureInProgress, MeasureDone, MeasureRefused}

// Measure is one assistance measure of a case (一户一策): a category and
// item of the national list, the department that owns it and the person
// named, its status, amount and dates.
type Measure struct {
	ID         int64    `json:"id"`
	CaseID     int64    `json:"case_id"`
	Household  string   `json:"household"`
	Village    string   `json:"village_code"`
	Category   string   `json:"category"`
	Item       string   `json:"item"`
	Department string   `json:"department"` // owner organisation code
	Person     string   `json:"person"`
	Status     string   `json:"status"`
	Amount     *float64 `json:"amount,omitempty"` // yuan
	PlannedOn  string   `json:"planned_on,omitempty"`
	StartedOn  string   `json:"started_on,omitempty"`
	DoneOn     string   `json:"done_on,omitempty"`
	Note       string   `json:"note,omitempty"`
	// Rule is the proposal rule that suggested it ("" when chosen by hand).
	Rule      string    `json:"rule,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
}

// MeasureFilter selects measures; the user's scope applies too.
type MeasureFilter struct {
	CaseID     int64
	CaseIDs    []int64 // the measures of these cases (a page of cases)
	Department string
	Status     string
	Region     string
	Offset     int
	Limit      int
}

// NationalDiff kinds: the local decisions and the national system's view
// from the last roster import, compared.
const (
	DiffLocalOnly    = "local_only"    // approved here, not yet in the national system
	DiffNationalOnly = "national_only" // in the national system, no local case
)

// NationalDiffRow is one household of a comparison list.
type NationalDiffRow struct {
	Household    string `json:"household"`
	Village      string `json:"village_code"`
	HeadName     string `json:"head_name"`
	CaseID       int64  `json:"case_id,omitempty"`
	CaseState    string `json:"case_state,omitempty"`
	MonitorType  string `json:"monitor_type,omitempty"`
	IdentifiedOn string `json:"identified_on,omitempty"`
}

// CaseStore stores cases, their steps, debts and measures. Every read and
// write is limited to the user's region in the query.
type CaseStore interface {
	// CreateCase stores a case with its first step's clock (or, on the
	// green channel, its debts with their clocks and the monitoring
	// decision) in one transaction. A household with an open case is
	// ECONFLICT. c.ID, c.Episode, c.Version are set.
	CreateCase(ctx context.Context, c *Case, ch *CaseChange) error
	FindCase(ctx context.Context, id int64) (*Case, error)
	// CaseStepClocks sets each case's StepClock: the running clock of its
	// step due next, if any (read in one query).
	CaseStepClocks(ctx context.Context, cs []*Case) error
	// OpenCase returns a household's open case, ENOTFOUND when none.
	OpenCase(ctx context.Context, household string) (*Case, error)
	// LatestCase returns a household's newest case of any state.
	LatestCase(ctx context.Context, household string) (*Case, error)
	FindCases(ctx context.Context, f CaseFilter) ([]*Case, int, error)
	// UpdateCase writes c (read at c.Version) with ch by compare-and-set:
	// ECONFLICT when another change came first. c.Version is bumped.
	UpdateCase(ctx context.Context, c *Case, ch *CaseChange) error
	CaseSteps(ctx context.Context, caseID int64) ([]*CaseStep, error)
	CaseDebts(ctx context.Context, caseID int64, now time.Time) ([]*CaseDebt, error)
	// NationalDiff lists one comparison list in the user's region.
	NationalDiff(ctx context.Context, kind, region string, offset, limit int) ([]*NationalDiffRow, int, error)

	CreateMeasure(ctx context.Context, m *Measure) error
	FindMeasure(ctx context.Context, id int64) (*Measure, error)
	// UpdateMeasure writes m (read at m.Version) by compare-and-set.
	UpdateMeasure(ctx context.Context, m *Measure) error
	FindMeasures(ctx context.Context, f MeasureFilter) ([]*Measure, int, error)
}

// Policy keys of cases (issue 12).
const (
	// PolicyCaseProcedure: the name of the identification procedure in
	// force in a region (a list of one item whose code names a
	// PolicyCaseProcedures key); PolicyCaseClearingProcedure the same for
	// clearing.
	PolicyCaseProcedure         = "case.procedure"
	PolicyCaseClearingProcedure = "case.clearing_procedure"
	// PolicyCaseProcedures + name: a named procedure's steps.
	PolicyCaseProcedures = "case.procedures."
	// ProcedureGansuNormal and ProcedureGansuClearing: the seeded ones.
	ProcedureGansuNormal   = "gansu_normal"
	ProcedureGansuClearing = "gansu_clearing"
	// PolicyCaseNoticeDays: the shortest public notice (days).
	PolicyCaseNoticeDays = "case.notice_min_days"
	// PolicyCaseObservation: months after identification before a
	// clearing.
	PolicyCaseObservation = "case.observation_months"
	// PolicyCaseEscalateCounty: working days after an overdue deadline of
	// a household (a case's step or debt, a referral's answer, a water
	// repair) was escalated to the township that the county is told: one
	// number for how long a township has to act before its county hears.
	PolicyCaseEscalateCounty = "case.escalate_county_workdays"
	// PolicyMeasureCategories: the national measure categories, each with
	// its items and whether it is development-type (开发式).
	PolicyMeasureCategories = "case.measure_categories"
)

// MeasureCategory is one category of the national measure list.
type MeasureCategory struct {
	Code        string   `json:"code"`
	ZH          string   `json:"zh"`
	Items       []string `json:"items"`
	Development bool     `json:"development,omitempty"`
}

func init() {
	RegisterPolicyKeyFamily(PolicyKey{Key: PolicyCaseProcedures, Type: PolicySteps, Unit: "steps",
		ZH: "监测帮扶程序（命名的步骤、角色与时限）", EN: "a named case procedure: steps, roles and clocks"})
	for _, k := range []PolicyKey{
		{Key: PolicyCaseProcedure, Type: PolicyList, Unit: "name", Required: true,
			ZH: "本地区使用的监测对象识别程序", EN: "the identification procedure in force in a region"},
		{Key: PolicyCaseClearingProcedure, Type: PolicyList, Unit: "name", Required: true,
			ZH: "本地区使用的风险消除程序", EN: "the clearing procedure in force in a region"},
		{Key: PolicyCaseProcedures + ProcedureGansuNormal, Type: PolicySteps, Unit: "steps", Required: true,
			ZH: "甘肃省防止返贫监测对象识别程序", EN: "Gansu's identification procedure"},
		{Key: PolicyCaseProcedures + ProcedureGansuClearing, Type: PolicySteps, Unit: "steps", Required: true,
			ZH: "甘肃省监测对象风险消除程序", EN: "Gansu's clearing procedure"},
		{Key: PolicyMeasureCategories, Type: PolicyList, Unit: "items", Required: true,
			ZH: "帮扶措施类别与项目", EN: "the national measure categories and their items"},
		{Key: PolicyCaseNoticeDays, Type: PolicyNumber, Unit: "days", Required: true, Min: 1, Max: 60,
			ZH: "村内公示最少天数", EN: "the shortest public notice in the village, days"},
		{Key: PolicyCaseObservation, Type: PolicyNumber, Unit: "months", Required: true, Min: 1, Max: 60,
			ZH: "风险识别后可消除风险的最短月数", EN: "months after identification before a clearing"},
		{Key: PolicyCaseEscalateCounty, Type: PolicyNumber, Unit: "workdays", Required: true, Min: 0.01, Max: 60,
			ZH: "逾期通报乡镇后通报县区的工作日数", EN: "working days after an overdue step, debt, referral answer or water repair was escalated to the township that the county is told"},
	} {
		RegisterPolicyKey(k)
	}
}

// ClearingPhase tells a case whose steps are its clearing procedure's.
func (c *Case) ClearingPhase() bool {
	return c.State == CaseClearing || c.State == CaseCleared
}

// NextStep is the procedure step due next, its ordinal (from 1), and
// whether one is due: none on a refused or held case, or when the
// procedure is done.
func (c *Case) NextStep() (ProcedureStep, int, bool) {
	if c.Step == "" || c.State == CaseRefused || c.State == CaseHeld {
		return ProcedureStep{}, 0, false
	}
	steps := c.Steps
	if c.ClearingPhase() {
		steps = c.ClearingSteps
	}
	for i, st := range steps {
		if st.Code == c.Step {
			return st, i + 1, true
		}
	}
	return ProcedureStep{}, 0, false
}

// NextStepName is the Chinese name of the step due next, "" when none.
func (c *Case) NextStepName() string {
	if st, _, ok := c.NextStep(); ok {
		return st.ZH
	}
	return ""
}
