package screening

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// SelfReport is what a household sends from the public page (一键报贫).
type SelfReport struct {
	Village    string `json:"village"`
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	IDNumber   string `json:"id_number"`
	Difficulty string `json:"difficulty"`
	RiskType   string `json:"risk_type,omitempty"`
	Consent    bool   `json:"consent"`
}

// Referral is what a department sends over the API.
type Referral struct {
	Department string `json:"department"`
	Village    string `json:"village"`
	Name       string `json:"name"`
	Phone      string `json:"phone,omitempty"`
	IDNumber   string `json:"id_number"`
	Reason     string `json:"reason"`
	RiskType   string `json:"risk_type,omitempty"`
}

// PublicIntake is what the public page shows of an item: its state and
// clocks, never the reporter's personal data.
type PublicIntake struct {
	Code      string               `json:"code"`
	State     backstop.IntakeState `json:"state"`
	Village   string               `json:"village"`
	Name      string               `json:"name"` // first character only
	Due       backstop.IntakeDue   `json:"due"`
	Merged    bool                 `json:"merged,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
}

func public(it *backstop.IntakeItem, merged bool) *PublicIntake {
	return &PublicIntake{Code: it.Code, State: it.State, Village: it.Village, Name: backstop.MaskName(it.Name), Due: it.Due, Merged: merged, CreatedAt: it.CreatedAt}
}

func hashKey(kind, v string) string {
	sum := sha256.Sum256([]byte(kind + ":" + v))
	return hex.EncodeToString(sum[:16])
}

// village checks a village code of a request against the regions.
func (s *Service) village(ctx context.Context, code string) (*backstop.Region, error) {
	c, err := backstop.NormalizeRegionCode(code)
	if err != nil || backstop.LevelOfCode(c) != backstop.LevelVillage {
		return nil, invalid("village", "村代码须为12位行政村代码："+code, "a village is a 12-digit village code")
	}
	r, err := s.Store.FindRegion(ctx, c, false)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, invalid("village", "没有这个村："+c, "no such village "+c)
	}
	return r, err
}

// riskType checks a 100A27 code against the list in force.
func (s *Service) riskType(ctx context.Context, code, region string) (int64, error) {
	p, err := s.policy(ctx, backstop.PolicyRiskTypes, region, s.now())
	if err != nil {
		return 0, err
	}
	if code == "" {
		return p.ID, nil
	}
	items, err := p.ListItems()
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		if it.Code == code {
			return p.ID, nil
		}
	}
	return 0, invalid("risk_type", "风险类型须为代码表100A27中的代码："+code, "not a 100A27 risk type: "+code)
}

// person checks the name, ID number (GB 11643 check digit) and phone.
func person(name, id, phone string, phoneRequired bool) (string, string, string, error) {
	name, err := runes("name", "姓名", name, 1, backstop.MaxIntakeName)
	if err != nil {
		return "", "", "", err
	}
	id, _, err = backstop.ValidateIDNumber(id)
	if err != nil {
		return "", "", "", &backstop.Error{Code: backstop.EINVALID, Message: "id_number: " + backstop.ErrorMessage(err), ZH: "身份证号码有误：" + backstop.ErrorMessageZH(err) + "（id_number）",
			Details: []backstop.Problem{{Path: "id_number", Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)}}}
	}
	if phone != "" || phoneRequired {
		if phone, err = backstop.ValidatePhone(phone); err != nil {
			return "", "", "", &backstop.Error{Code: backstop.EINVALID, Message: "phone: " + backstop.ErrorMessage(err), ZH: "手机号码有误：" + backstop.ErrorMessageZH(err) + "（phone）",
				Details: []backstop.Problem{{Path: "phone", Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)}}}
		}
	}
	return name, id, phone, nil
}

// clocks makes an item's three clocks from the steps policy: the check
// from now, the answer and the approval from the check's last day.
func (s *Service) clocks(ctx context.Context, region string, now time.Time) (backstop.IntakeClocks, []int64, error) {
	var out backstop.IntakeClocks
	p, err := s.policy(ctx, backstop.PolicyIntakeSteps, region, now)
	if err != nil {
		return out, nil, err
	}
	var steps []struct {
		Code  string  `json:"code"`
		Limit float64 `json:"limit"`
		Unit  string  `json:"unit"`
	}
	if err := jsonUnmarshal(p.Data, &steps); err != nil {
		return out, nil, err
	}
	limits := map[string]*backstop.Policy{}
	for _, st := range steps {
		limits[st.Code] = &backstop.Policy{ID: p.ID, Key: p.Key, Value: st.Limit, Unit: st.Unit}
	}
	for _, code := range []string{backstop.StepCheck, backstop.StepAnswer, "approval"} {
		if limits[code] == nil {
			return out, nil, backstop.Localized(backstop.EUNAVAILABLE, "政策参数“%s”缺少步骤“%s”", "Policy %s has no step %q.", p.Key, code)
		}
	}
	if out.Check, err = s.Clocks.New(ctx, backstop.ClockIntakeCheck, "", region, now, limits[backstop.StepCheck]); err != nil {
		return out, nil, err
	}
	// The check's last day, from which the next steps count.
	checked := out.Check.Due.Add(-time.Minute)
	if out.Answer, err = s.Clocks.New(ctx, backstop.ClockIntakeAnswer, "", region, checked, limits[backstop.StepAnswer]); err != nil {
		return out, nil, err
	}
	if out.Approval, err = s.Clocks.New(ctx, backstop.ClockIntakeReview, "", region, checked, limits["approval"]); err != nil {
		return out, nil, err
	}
	return out, []int64{p.ID}, nil
}

// SubmitSelfReport takes a household's own report from the public page:
// no account; addr is where it came from, for the abuse limits.
func (s *Service) SubmitSelfReport(ctx context.Context, in SelfReport, addr string) (*PublicIntake, error) {
	sys := backstop.NewContextWithUser(ctx, backstop.SystemUser("self-report"))
	v, err := s.village(sys, in.Village)
	if err != nil {
		return nil, err
	}
	name, id, phone, err := person(in.Name, in.IDNumber, in.Phone, true)
	if err != nil {
		return nil, err
	}
	difficulty, err := runes("difficulty", "困难情况", in.Difficulty, 1, backstop.MaxIntakeDifficulty)
	if err != nil {
		return nil, err
	}
	if !in.Consent {
		return nil, invalid("consent", "须同意对家庭经济状况进行核对（授权承诺）后才能提交", "consent to the family-finance check is required")
	}
	riskPolicy, err := s.riskType(sys, in.RiskType, v.Code)
	if err != nil {
		return nil, err
	}
	now := s.now()
	perAddr, err := s.policy(sys, backstop.PolicyIntakePerAddress, v.Code, now)
	if err != nil {
		return nil, err
	}
	perPhone, err := s.policy(sys, backstop.PolicyIntakePerPhone, v.Code, now)
	if err != nil {
		return nil, err
	}
	clocks, ids, err := s.clocks(sys, v.Code, now)
	if err != nil {
		return nil, err
	}
	it := &backstop.IntakeItem{Source: backstop.SourceSelfReport, VillageCode: v.Code, Name: name, Phone: phone, IDNumber: id, Difficulty: difficulty, RiskType: in.RiskType,
		Consent: true, PolicyIDs: append(ids, riskPolicy, perAddr.ID, perPhone.ID), CreatedBy: "public"}
	it.Due = backstop.IntakeDue{Check: clocks.Check.DueDate, Answer: clocks.Answer.DueDate, Approval: clocks.Approval.DueDate}
	actor := backstop.NewContextWithUser(ctx, &backstop.User{Name: "public:" + backstop.MaskPhone(phone), Role: backstop.RoleVillage, Region: v.Code, Via: "public", Addr: addr})
	lim := backstop.IntakeLimits{AddressKey: hashKey("addr", addr), PhoneKey: hashKey("phone", phone), PerAddress: int(perAddr.Value), PerPhone: int(perPhone.Value), Window: 24 * time.Hour}
	got, merged, err := s.Store.CreateIntake(actor, it, clocks, lim)
	if err != nil {
		return nil, err
	}
	return public(got, merged), nil
}

// LookUp finds an item by its code, for the public page.
func (s *Service) LookUp(ctx context.Context, code string) (*PublicIntake, error) {
	if len(code) < 6 || len(code) > 20 {
		return nil, invalid("code", "查询码有误", "not a lookup code")
	}
	it, err := s.Store.FindIntakeByCode(ctx, code)
	if err != nil {
		return nil, backstop.Localized(backstop.ENOTFOUND, "没有查到该查询码的报告，请核对", "No report has this code.")
	}
	return public(it, it.Merged > 0), nil
}

// Refer takes a department's referral.
func (s *Service) Refer(ctx context.Context, in Referral) (*backstop.IntakeItem, bool, error) {
	u, err := backstop.Authorize(ctx, backstop.PermRefer)
	if err != nil {
		return nil, false, err
	}
	sys := backstop.NewContextWithUser(ctx, backstop.SystemUser("referral"))
	v, err := s.village(sys, in.Village)
	if err != nil {
		return nil, false, err
	}
	depts, err := s.policy(sys, backstop.PolicyReferralDepartments, v.Code, s.now())
	if err != nil {
		return nil, false, err
	}
	items, err := depts.ListItems()
	if err != nil {
		return nil, false, err
	}
	known := false
	for _, it := range items {
		known = known || it.Code == in.Department
	}
	if !known {
		return nil, false, invalid("department", "推送部门未知："+in.Department, "unknown department "+in.Department)
	}
	name, id, phone, err := person(in.Name, in.IDNumber, in.Phone, false)
	if err != nil {
		return nil, false, err
	}
	reason, err := runes("reason", "推送理由", in.Reason, 1, backstop.MaxIntakeDifficulty)
	if err != nil {
		return nil, false, err
	}
	riskPolicy, err := s.riskType(sys, in.RiskType, v.Code)
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	clocks, ids, err := s.clocks(sys, v.Code, now)
	if err != nil {
		return nil, false, err
	}
	it := &backstop.IntakeItem{Source: backstop.SourceReferral, Department: in.Department, Reason: reason, VillageCode: v.Code, Name: name, Phone: phone, IDNumber: id,
		Difficulty: reason, RiskType: in.RiskType, PolicyIDs: append(ids, riskPolicy, depts.ID), CreatedBy: u.Name}
	it.Due = backstop.IntakeDue{Check: clocks.Check.DueDate, Answer: clocks.Answer.DueDate, Approval: clocks.Approval.DueDate}
	// The department's user may have no village scope: the referral is
	// written for the village it names, by the department's name.
	actor := backstop.NewContextWithUser(ctx, &backstop.User{Name: u.Name, Role: u.Role, Region: backstop.NationalScope, Via: u.Via, Addr: u.Addr})
	got, merged, err := s.Store.CreateIntake(actor, it, clocks, backstop.IntakeLimits{})
	if err != nil {
		return nil, false, err
	}
	return got.Mask(), merged, nil
}

// Intake pages the items in the user's region, phones and IDs masked.
func (s *Service) Intake(ctx context.Context, f backstop.IntakeFilter) ([]*backstop.IntakeItem, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermIntake); err != nil {
		return nil, 0, err
	}
	if f.Now.IsZero() {
		f.Now = s.now()
	}
	items, total, err := s.Store.FindIntakes(ctx, f)
	for i, it := range items {
		items[i] = it.Mask()
	}
	return items, total, err
}

// Advance records a step of an item: the village's check and answer, the
// county's approval; a rejection at any level.
func (s *Service) Advance(ctx context.Context, id int64, step, note string) (*backstop.IntakeItem, error) {
	perm := backstop.PermIntake
	if step == backstop.StepApprove {
		perm = backstop.PermIntakeApprove
	}
	u, err := backstop.Authorize(ctx, perm)
	if err != nil {
		return nil, err
	}
	it, err := s.Store.AdvanceIntake(ctx, id, step, note)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, fmt.Sprintf("报告%d", id), fmt.Sprintf("intake item %d", id))
	}
	return it.Mask(), nil
}

// Describe names an item's source for messages.
func describe(it *backstop.IntakeItem) string {
	if it.Source == backstop.SourceReferral {
		return fmt.Sprintf("部门推送线索（%s）", it.Department)
	}
	return "一键报贫"
}
