// Package insurance is the use case of insurance as a market mechanism
// (notice 三(四)): products (农房保险, 农业保险, 防贫保险 …: insurer, cover,
// premium and who pays it, perils), the policies households hold — entered
// or imported from the insurer's sheet with a row-by-row error report —,
// claims after an event linked to loss reports, their payouts (ClaimIncome:
// the 理赔收入 a household's assessment counts), and which exposed
// key-group households have no house insurance.
package insurance

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sheet"
)

// Store is what insurance needs of storage.
type Store interface {
	backstop.InsuranceService
	backstop.AuditService
	FindExposure(ctx context.Context, warningID int64) (*backstop.Exposure, error)
}

// Service runs the insurance use cases.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) today() string {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().In(backstop.Beijing).Format(time.DateOnly)
}

func problem(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func invalid(what, whatZH string, problems []backstop.Problem) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The %s has %d problem(s): %s: %s.", what, len(problems), problems[0].Path, problems[0].Reason),
		ZH: fmt.Sprintf("%s有 %d 处问题：%s", whatZH, len(problems), problems[0].ReasonZH), Details: problems}
}

func amount(path string, v float64, problems []backstop.Problem) []backstop.Problem {
	if math.IsNaN(v) || v < 0 || v > backstop.MaxInsuranceAmount {
		problems = append(problems, problem(path, fmt.Sprintf("0 to %.0f yuan", backstop.MaxInsuranceAmount), fmt.Sprintf("金额须在 0 至 %.0f 元之间", backstop.MaxInsuranceAmount)))
	}
	return problems
}

// ProductInput is a product as entered.
type ProductInput struct {
	Code           string   `json:"code"`
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	Insurer        string   `json:"insurer"`
	Region         string   `json:"region"`
	Cover          float64  `json:"cover"`
	Premium        float64  `json:"premium"`
	Payer          string   `json:"payer"`
	HouseholdShare float64  `json:"household_share,omitempty"`
	Perils         []string `json:"perils"`
}

// CreateProduct adds a product offered in a region.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (*backstop.InsuranceProduct, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageInsurance); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	p := &backstop.InsuranceProduct{Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), Kind: backstop.InsuranceKind(in.Kind), Insurer: strings.TrimSpace(in.Insurer),
		Cover: in.Cover, Premium: in.Premium, Payer: backstop.PremiumPayer(in.Payer), HouseholdShare: in.HouseholdShare, Perils: in.Perils}
	if p.Code == "" || len(p.Code) > 32 || strings.ContainsAny(p.Code, " \t\n") {
		problems = append(problems, problem("code", "a code of at most 32 characters, no spaces", "请填写产品代码（最多 32 个字符，不含空格）"))
	}
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 100 || p.Insurer == "" || utf8.RuneCountInString(p.Insurer) > 100 {
		problems = append(problems, problem("name", "a name and an insurer of at most 100 characters", "请填写产品名称和承保机构（各最多 100 个字）"))
	}
	if !slices.Contains(backstop.InsuranceKinds, p.Kind) {
		problems = append(problems, problem("kind", "house, agriculture, anti_poverty, accident or other", "产品类别须为 house（农房）、agriculture（农业）、anti_poverty（防贫）、accident（意外）或 other（其他）"))
	}
	region, err := backstop.NormalizeRegionCode(in.Region)
	if err != nil {
		problems = append(problems, problem("region", "a region code", "区划代码有误"))
	}
	p.Region = region
	problems = amount("cover", p.Cover, problems)
	problems = amount("premium", p.Premium, problems)
	switch p.Payer {
	case backstop.PaidByGovernment, backstop.PaidByHousehold:
		if p.HouseholdShare != 0 {
			problems = append(problems, problem("household_share", "only a shared premium has a household share", "只有共同缴费的产品填写农户自缴部分"))
		}
	case backstop.PaidShared:
		if !(p.HouseholdShare > 0 && p.HouseholdShare < p.Premium) {
			problems = append(problems, problem("household_share", "the household's part of a shared premium lies between 0 and the premium", "共同缴费的农户自缴部分须大于 0 且小于保费"))
		}
	default:
		problems = append(problems, problem("payer", "government, household or shared", "缴费方式须为 government（财政）、household（农户）或 shared（共同）"))
	}
	if len(p.Perils) == 0 || len(p.Perils) > 30 {
		problems = append(problems, problem("perils", "the perils covered (1 to 30)", "请填写保险责任（1 至 30 项）"))
	}
	if len(problems) > 0 {
		return nil, invalid("product", "保险产品", problems)
	}
	if err := s.Store.CreateProduct(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Products lists every product.
func (s *Service) Products(ctx context.Context) ([]*backstop.InsuranceProduct, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindProducts(ctx)
}

// PolicyInput is a policy as entered.
type PolicyInput struct {
	ProductID int64   `json:"product_id"`
	Number    string  `json:"number"`
	Household string  `json:"household"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Cover     float64 `json:"cover"`
}

// parseDate reads a date as offices write it in sheets: YYYY-MM-DD,
// Y/M/D, YYYYMMDD, or an Excel day number.
func parseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "20060102", "2006年1月2日"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 20000 && n < 80000 {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)).Format(time.DateOnly), true
	}
	return "", false
}

func (in PolicyInput) policy(source string) (*backstop.InsurancePolicy, []backstop.Problem) {
	var problems []backstop.Problem
	p := &backstop.InsurancePolicy{ProductID: in.ProductID, Number: strings.TrimSpace(in.Number), Household: strings.TrimSpace(in.Household), Cover: in.Cover, Source: source}
	if p.Number == "" || len(p.Number) > backstop.MaxPolicyNumber {
		problems = append(problems, problem("number", fmt.Sprintf("the insurer's policy number (at most %d characters)", backstop.MaxPolicyNumber), "请填写保单号（最多 64 个字符）"))
	}
	if p.Household == "" || strings.Trim(p.Household, "0123456789") != "" {
		problems = append(problems, problem("household", "a household number (户编号, digits)", "户编号须为数字"))
	}
	var ok bool
	if p.From, ok = parseDate(in.From); !ok {
		problems = append(problems, problem("from", fmt.Sprintf("%q is not a date", in.From), fmt.Sprintf("起保日期“%s”不是有效日期", in.From)))
	}
	if p.To, ok = parseDate(in.To); !ok {
		problems = append(problems, problem("to", fmt.Sprintf("%q is not a date", in.To), fmt.Sprintf("终保日期“%s”不是有效日期", in.To)))
	} else if p.From != "" && p.To < p.From {
		problems = append(problems, problem("to", "the policy ends before it starts", "终保日期早于起保日期"))
	}
	problems = amount("cover", p.Cover, problems)
	return p, problems
}

// AddPolicies enters policies by hand, all or none.
func (s *Service) AddPolicies(ctx context.Context, in []PolicyInput) ([]*backstop.InsurancePolicy, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageInsurance); err != nil {
		return nil, err
	}
	if len(in) == 0 || len(in) > 1000 {
		return nil, backstop.Localized(backstop.EINVALID, "一次录入 1 至 1000 份保单；更多请用表格导入", "Enter 1 to 1000 policies at once; import a sheet for more.")
	}
	var ps []*backstop.InsurancePolicy
	var problems []backstop.Problem
	for i, pi := range in {
		p, pr := pi.policy("entered")
		for _, x := range pr {
			x.Path = fmt.Sprintf("policies[%d].%s", i, x.Path)
			problems = append(problems, x)
		}
		ps = append(ps, p)
	}
	if len(problems) > 0 {
		return nil, invalid("policies", "保单", problems)
	}
	if err := s.Store.CreateInsurancePolicies(ctx, ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// Sheet columns of a policy import (the insurer's list as offices keep
// it); headers may carry spaces and either of the names.
var importColumns = []struct {
	key   string
	names []string
}{
	{"number", []string{"保单号", "保单号码"}},
	{"product", []string{"产品代码", "险种代码"}},
	{"household", []string{"户编号"}},
	{"from", []string{"起保日期", "保险起期"}},
	{"to", []string{"终保日期", "保险止期"}},
	{"cover", []string{"保额", "保险金额"}},
}

// ImportPolicies reads policies from a sheet (csv or xlsx, first sheet)
// with columns 保单号, 产品代码, 户编号, 起保日期, 终保日期, 保额: every
// problem is reported with its row and column and nothing is stored, or
// every row is stored.
func (s *Service) ImportPolicies(ctx context.Context, path, name string) (int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageInsurance); err != nil {
		return 0, err
	}
	r, err := sheet.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	col := map[string]int{}
	for i, h := range r.Header() {
		h = strings.TrimSpace(h)
		for _, c := range importColumns {
			if slices.Contains(c.names, h) {
				col[c.key] = i
			}
		}
	}
	var missing []string
	for _, c := range importColumns {
		if _, ok := col[c.key]; !ok {
			missing = append(missing, c.names[0])
		}
	}
	if len(missing) > 0 {
		return 0, backstop.Localized(backstop.EINVALID, "表头缺少列：%s", "The header lacks the columns %s.", strings.Join(missing, "、"))
	}
	products, err := s.Store.FindProducts(ctx)
	if err != nil {
		return 0, err
	}
	byCode := map[string]int64{}
	for _, p := range products {
		byCode[p.Code] = p.ID
	}
	var ps []*backstop.InsurancePolicy
	var problems []backstop.Problem
	cell := func(cells []string, key string) string {
		if i := col[key]; i < len(cells) {
			return strings.TrimSpace(cells[i])
		}
		return ""
	}
	colName := map[string]string{}
	for _, c := range importColumns {
		colName[c.key] = c.names[0]
	}
	for {
		cells, row, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return 0, err
		}
		if len(ps) >= backstop.MaxPolicyImportRow {
			return 0, backstop.Localized(backstop.ETOOLARGE, "一次最多导入 %d 份保单", "At most %d policies per import.", backstop.MaxPolicyImportRow)
		}
		if strings.Join(cells, "") == "" {
			continue
		}
		in := PolicyInput{Number: cell(cells, "number"), Household: cell(cells, "household"), From: cell(cells, "from"), To: cell(cells, "to")}
		code := cell(cells, "product")
		in.ProductID = byCode[code]
		if in.ProductID == 0 {
			problems = append(problems, backstop.Problem{Row: row, Column: colName["product"], Reason: "unknown product code " + code, ReasonZH: "未登记的产品代码“" + code + "”"})
		}
		if v := cell(cells, "cover"); v != "" {
			f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
			if err != nil {
				problems = append(problems, backstop.Problem{Row: row, Column: colName["cover"], Reason: fmt.Sprintf("%q is not an amount", v), ReasonZH: fmt.Sprintf("“%s”不是金额", v)})
			}
			in.Cover = f
		}
		p, pr := in.policy("import:" + name)
		for _, x := range pr {
			problems = append(problems, backstop.Problem{Row: row, Column: colName[x.Path], Reason: x.Reason, ReasonZH: x.ReasonZH})
		}
		p.ID = int64(row) // the row travels with it for the store's problems
		ps = append(ps, p)
		if len(problems) > 1000 {
			break
		}
	}
	if len(problems) > 0 {
		return 0, &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("%d problem(s); the first: row %d, %s: %s. Nothing was imported.", len(problems), problems[0].Row, problems[0].Column, problems[0].Reason),
			ZH: fmt.Sprintf("有 %d 处问题，未导入任何保单。第一处：第%d行“%s”：%s", len(problems), problems[0].Row, problems[0].Column, problems[0].ReasonZH), Details: problems}
	}
	if len(ps) == 0 {
		return 0, backstop.Localized(backstop.EINVALID, "表格中没有保单", "The sheet holds no policy.")
	}
	if err := s.Store.CreateInsurancePolicies(ctx, ps); err != nil {
		return 0, err
	}
	return len(ps), nil
}

// Policies pages policies: a household's, or a region's.
func (s *Service) Policies(ctx context.Context, household, region string, offset, limit int) ([]*backstop.InsurancePolicy, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, 0, err
	}
	return s.Store.FindInsurancePolicies(ctx, household, region, offset, limit)
}

// ClaimInput files a claim.
type ClaimInput struct {
	PolicyID   int64   `json:"policy_id"`
	Event      string  `json:"event,omitempty"`
	LossReport int64   `json:"loss_report_id,omitempty"`
	FiledOn    string  `json:"filed_on"`
	Claimed    float64 `json:"claimed"`
	Note       string  `json:"note,omitempty"`
}

// FileClaim files a claim on a policy after an event.
func (s *Service) FileClaim(ctx context.Context, in ClaimInput) (*backstop.InsuranceClaim, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageInsurance); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	filed, ok := parseDate(in.FiledOn)
	if !ok {
		problems = append(problems, problem("filed_on", "a date (YYYY-MM-DD)", "请填写申请日期（YYYY-MM-DD）"))
	} else if filed > s.today() {
		problems = append(problems, problem("filed_on", "not in the future", "申请日期不能晚于今天"))
	}
	problems = amount("claimed", in.Claimed, problems)
	if utf8.RuneCountInString(in.Event) > 200 || utf8.RuneCountInString(in.Note) > 1000 {
		problems = append(problems, problem("note", "the event at most 200 characters, the note 1000", "灾情最多 200 个字，备注最多 1000 个字"))
	}
	if len(problems) > 0 {
		return nil, invalid("claim", "理赔", problems)
	}
	c := &backstop.InsuranceClaim{PolicyID: in.PolicyID, Event: strings.TrimSpace(in.Event), LossReport: in.LossReport, FiledOn: filed, Claimed: in.Claimed, Note: strings.TrimSpace(in.Note)}
	if err := s.Store.CreateClaim(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Settlement is a claim's outcome.
type Settlement struct {
	State  string  `json:"state"` // paid or refused
	Payout float64 `json:"payout"`
	PaidOn string  `json:"paid_on,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// Settle records a filed claim's outcome: paid (with the payout and its
// date) or refused (with the reason).
func (s *Service) Settle(ctx context.Context, id int64, in Settlement) (*backstop.InsuranceClaim, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageInsurance); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	state := backstop.ClaimState(in.State)
	paid := ""
	switch state {
	case backstop.ClaimPaid:
		if !(in.Payout > 0) {
			problems = append(problems, problem("payout", "a paid claim has a payout above 0", "已赔付的理赔须填写赔付金额"))
		}
		problems = amount("payout", in.Payout, problems)
		var ok bool
		if paid, ok = parseDate(in.PaidOn); !ok {
			problems = append(problems, problem("paid_on", "the date of the payout", "请填写赔付日期"))
		} else if paid > s.today() {
			problems = append(problems, problem("paid_on", "not in the future", "赔付日期不能晚于今天"))
		}
	case backstop.ClaimRefused:
		if in.Payout != 0 || strings.TrimSpace(in.Note) == "" {
			problems = append(problems, problem("note", "a refused claim has no payout and a reason", "拒赔须写明原因，赔付金额为 0"))
		}
	default:
		problems = append(problems, problem("state", "paid or refused", "结果只能是 paid（已赔付）或 refused（拒赔）"))
	}
	if len(problems) > 0 {
		return nil, invalid("settlement", "理赔结果", problems)
	}
	return s.Store.SettleClaim(ctx, id, state, in.Payout, paid, strings.TrimSpace(in.Note))
}

// Claims pages claims.
func (s *Service) Claims(ctx context.Context, household, event string, offset, limit int) ([]*backstop.InsuranceClaim, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, 0, err
	}
	return s.Store.FindClaims(ctx, household, event, offset, limit)
}

// ClaimIncome is what a household was paid on claims filed on or after
// since: the 理赔收入 a loss assessment counts (risk: claims in the
// projected income). The assessment's use case calls it for the household
// of a report, since the event began; it returns the claims it summed,
// for the assessment's record.
func (s *Service) ClaimIncome(ctx context.Context, householdID int64, since time.Time) (float64, []int64, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return 0, nil, err
	}
	return s.Store.ClaimIncome(ctx, householdID, since.In(backstop.Beijing).Format(time.DateOnly))
}

// Gaps lists the key-group households of a region without house
// insurance in force today — of a warning's exposure, when one is named —
// and the coverage per village; household names shown are the heads'.
func (s *Service) Gaps(ctx context.Context, region string, warningID int64, offset, limit int) ([]*backstop.InsuranceGap, int, []*backstop.InsuranceCoverage, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadPrepared)
	if err != nil {
		return nil, 0, nil, err
	}
	if region == "" {
		region = u.Region
	} else if region, err = backstop.NormalizeRegionCode(region); err != nil {
		return nil, 0, nil, backstop.Localized(backstop.EINVALID, "区划代码有误：须为 6、9 或 12 位数字", "The region code must have 6, 9 or 12 digits.")
	}
	var snapshot int64
	if warningID != 0 {
		e, err := s.Store.FindExposure(ctx, warningID)
		if err != nil {
			return nil, 0, nil, err
		}
		snapshot = e.SnapshotID
	}
	return s.Store.InsuranceGaps(ctx, region, s.today(), snapshot, offset, limit)
}

// AuditExport records an export of a list naming households (policies,
// gaps) before its first byte is written.
func (s *Service) AuditExport(ctx context.Context, list, filter string) error {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return err
	}
	return s.Store.Audit(ctx, "insurance.export", "insurance", list, filter)
}
