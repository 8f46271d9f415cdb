// Package assist is the use-case layer of household-level assistance
// (issue 12 item 4): the housing reconstruction subsidy computed from the
// county's policy table and the household's latest loss report, with the
// only-dwelling (唯一住房) confirmation and the disbursements; drinking
// water (repair tasks with their working-day due date, quality tests,
// emergency supply points, the re-check of the four indicators against the
// water standard in force); relief grants (临时救助, basic-living relief),
// which count as transfer income in the household's next assessment
// (ReliefIncome, wired into screening).
package assist

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/risk"
	"github.com/zhangye-backstop/backstop/workday"
)

// Store is what assist needs of storage.
type Store interface {
	backstop.AssistService
	backstop.PolicyService
	FindHousehold(ctx context.Context, number string) (*backstop.Household, error)
	FindLossReports(ctx context.Context, f backstop.LossReportFilter) ([]*backstop.LossReport, int, error)
}

// Service runs the assistance use cases.
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

func invalid(field, zh, en string) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: field + ": " + en, ZH: zh + "（" + field + "）",
		Details: []backstop.Problem{{Path: field, Reason: en, ReasonZH: zh}}}
}

func text(field, zh, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", invalid(field, zh+"不能为空", "required")
	}
	if n := utf8.RuneCountInString(v); n > backstop.MaxAssistText {
		return "", invalid(field, fmt.Sprintf("%s不能超过%d字（现有%d字）", zh, backstop.MaxAssistText, n), fmt.Sprintf("at most %d characters, not %d", backstop.MaxAssistText, n))
	}
	return v, nil
}

func date(field, zh, v string, today string) (string, error) {
	if v == "" {
		return today, nil
	}
	d, err := workday.ParseDate(v)
	if err != nil {
		return "", invalid(field, zh+"须为YYYY-MM-DD格式的日期", "a date YYYY-MM-DD")
	}
	if d.String() > today {
		return "", invalid(field, zh+"不能晚于今天", "not after today")
	}
	return d.String(), nil
}

func money(field, zh string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || v > backstop.MaxAssistAmount {
		return invalid(field, fmt.Sprintf("%s须大于0且不超过%.0f元", zh, float64(backstop.MaxAssistAmount)), fmt.Sprintf("more than 0 and at most %.0f yuan", float64(backstop.MaxAssistAmount)))
	}
	return nil
}

// household reads a household of the user's region.
func (s *Service) household(ctx context.Context, number string) (*backstop.Household, error) {
	h, err := s.Store.FindHousehold(ctx, number)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户（或不在您的管辖范围内）", "Household %s not found.", number)
	}
	return h, err
}

// keyGroups names the household's key groups (their codes).
func keyGroups(h *backstop.Household) []string {
	out := []string{}
	for _, g := range backstop.Groups {
		if h.Groups&g != 0 {
			out = append(out, g.String())
		}
	}
	return out
}

// SubsidyTable reads the county's housing subsidy table in force on a
// date: a version of the county itself (a broader region's does not
// count), or the error naming the missing table.
func (s *Service) SubsidyTable(ctx context.Context, county string, on time.Time) (*backstop.HousingSubsidyTable, *backstop.Policy, error) {
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyHousingSubsidy, county, on)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND || (err == nil && p.Region != county) {
		return nil, nil, backstop.NoSubsidyTable(county)
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := backstop.HousingSubsidyTableOf(p)
	return t, p, err
}

// latestReport is the household's latest current loss report.
func (s *Service) latestReport(ctx context.Context, number string) (*backstop.LossReport, error) {
	rs, _, err := s.Store.FindLossReports(ctx, backstop.LossReportFilter{Household: number, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, backstop.Localized(backstop.ENOTFOUND, "户%s没有灾损报告，无法核算住房恢复重建补助", "Household %s has no loss report: no housing subsidy can be computed.", number)
	}
	return rs[0], nil
}

// ComputeSubsidy applies a table to a household's report.
func ComputeSubsidy(t *backstop.HousingSubsidyTable, h *backstop.Household, r *backstop.LossReport) backstop.SubsidyComputation {
	monitored := h.Groups&backstop.GroupMonitored != 0
	formerlyPoor := h.Groups&backstop.GroupFormerlyPoor != 0
	return t.Compute(r.HouseDamage, r.HouseRooms, formerlyPoor, monitored)
}

// HousingSubsidy is a household's subsidy from its latest loss report.
func (s *Service) HousingSubsidy(ctx context.Context, number string) (*backstop.HousingSubsidy, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, err
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	return s.subsidy(ctx, h)
}

func (s *Service) subsidy(ctx context.Context, h *backstop.Household) (*backstop.HousingSubsidy, error) {
	r, err := s.latestReport(ctx, h.Number)
	if err != nil {
		return nil, err
	}
	county := backstop.CountyOfVillage(h.VillageCode)
	t, p, err := s.SubsidyTable(ctx, county, r.ReportedAt)
	if err != nil {
		return nil, err
	}
	c := ComputeSubsidy(t, h, r)
	c.PolicyRegion = p.Region
	out := &backstop.HousingSubsidy{Household: h.Number, County: county, LossReportID: r.ID, EventID: r.EventID, Verified: r.Verified(),
		Amount: c.Amount, PolicyIDs: []int64{p.ID}, Computation: c, Records: []*backstop.SubsidyRecord{}}
	records, err := s.Store.FindSubsidyRecords(ctx, h.Number)
	if err != nil {
		return nil, err
	}
	for _, rec := range records {
		switch rec.Kind {
		case backstop.SubsidyOnlyDwelling:
			out.OnlyDwelling = rec // the latest confirmation counts
		case backstop.SubsidyDisbursement:
			if rec.LossReportID == r.ID {
				out.Disbursed += rec.Amount
			}
		}
		out.Records = append(out.Records, rec)
	}
	out.Outstanding = max(out.Amount-out.Disbursed, 0)
	if !out.Verified {
		out.Blocked = append(out.Blocked, "灾损报告尚未经乡镇核实")
	}
	if out.OnlyDwelling == nil {
		out.Blocked = append(out.Blocked, "尚未确认是否为唯一住房")
	} else if !out.OnlyDwelling.OnlyDwelling {
		out.Blocked = append(out.Blocked, "经核实受损住房不是唯一住房")
	}
	if c.NotEligible != "" {
		out.Blocked = append(out.Blocked, c.NotEligible)
	} else if out.Outstanding == 0 {
		out.Blocked = append(out.Blocked, "补助已全额发放")
	}
	out.Payable = len(out.Blocked) == 0
	return out, nil
}

// OnlyDwellingInput is the only-dwelling (唯一住房) finding.
type OnlyDwellingInput struct {
	OnlyDwelling *bool  `json:"only_dwelling"`
	Note         string `json:"note"`
}

// ConfirmOnlyDwelling records whether the damaged house is the
// household's only dwelling, for its latest loss report.
func (s *Service) ConfirmOnlyDwelling(ctx context.Context, number string, in OnlyDwellingInput) (*backstop.HousingSubsidy, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	if in.OnlyDwelling == nil {
		return nil, invalid("only_dwelling", "请填写是否为唯一住房（true/false）", "true or false is required")
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	r, err := s.latestReport(ctx, number)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateSubsidyRecord(ctx, &backstop.SubsidyRecord{Household: number, LossReportID: r.ID, OnlyDwelling: *in.OnlyDwelling, Note: note}); err != nil {
		return nil, err
	}
	return s.subsidy(ctx, h)
}

// DisbursementInput is money paid on a household's housing subsidy.
type DisbursementInput struct {
	Amount int64  `json:"amount"`
	PaidOn string `json:"paid_on"`
	PaidBy string `json:"paid_by"`
	Note   string `json:"note"`
}

// Disburse records a payment: the report verified, the only dwelling
// confirmed, and the total within the computed amount (the rule broken is
// named otherwise).
func (s *Service) Disburse(ctx context.Context, number string, in DisbursementInput) (*backstop.HousingSubsidy, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermApproveCases); err != nil {
		return nil, err
	}
	if err := money("amount", "发放金额", float64(in.Amount)); err != nil {
		return nil, err
	}
	paidOn, err := date("paid_on", "发放日期", in.PaidOn, s.today())
	if err != nil {
		return nil, err
	}
	paidBy, err := text("paid_by", "发放单位或经办人", in.PaidBy, true)
	if err != nil {
		return nil, err
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	sub, err := s.subsidy(ctx, h)
	if err != nil {
		return nil, err
	}
	if !sub.Payable {
		return nil, &backstop.Error{Code: backstop.ECONFLICT, Message: "The subsidy cannot be paid yet: " + strings.Join(sub.Blocked, "; "),
			ZH: "暂不能发放住房恢复重建补助：" + strings.Join(sub.Blocked, "；"), Details: []backstop.Problem{{Path: "amount", Reason: "not payable", ReasonZH: strings.Join(sub.Blocked, "；")}}}
	}
	rec := &backstop.SubsidyRecord{Household: number, LossReportID: sub.LossReportID, Amount: in.Amount, PaidOn: paidOn, PaidBy: paidBy, PolicyIDs: sub.PolicyIDs, Note: note}
	if err := s.Store.PayHousingSubsidy(ctx, rec, sub.Amount); err != nil {
		return nil, err
	}
	return s.subsidy(ctx, h)
}

// ReliefInput is a relief grant as entered.
type ReliefInput struct {
	Kind      string  `json:"kind"`
	Amount    float64 `json:"amount"`
	GrantedOn string  `json:"granted_on"`
	EventID   int64   `json:"event_id,omitempty"`
	Note      string  `json:"note"`
}

// GrantRelief records relief money granted to a household: transfer
// income in its next assessment.
func (s *Service) GrantRelief(ctx context.Context, number string, in ReliefInput) (*backstop.ReliefGrant, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	if _, ok := backstop.ReliefKindZH[in.Kind]; !ok {
		return nil, invalid("kind", "救助类别只能是 temporary（临时救助）或 basic_living（基本生活救助）", "temporary or basic_living")
	}
	if err := money("amount", "救助金额", in.Amount); err != nil {
		return nil, err
	}
	on, err := date("granted_on", "救助日期", in.GrantedOn, s.today())
	if err != nil {
		return nil, err
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	if in.EventID < 0 {
		return nil, invalid("event_id", "灾害过程编号有误", "a positive event id")
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	g := &backstop.ReliefGrant{Household: h.Number, Kind: in.Kind, Amount: math.Round(in.Amount*100) / 100, GrantedOn: on, EventID: in.EventID, KeyGroups: keyGroups(h), Note: note}
	if err := s.Store.CreateRelief(ctx, g); err != nil {
		return nil, err
	}
	return g, nil
}

// Relief pages grants: a household's (not found outside the user's
// region) or a region's.
func (s *Service) Relief(ctx context.Context, household, region string, offset, limit int) ([]*backstop.ReliefGrant, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	if household != "" {
		if _, err := s.household(ctx, household); err != nil {
			return nil, 0, err
		}
	}
	return s.Store.FindRelief(ctx, household, region, offset, limit)
}

// ReliefIncome is the relief a household was granted on or after a date
// (the event's start): the screening assessment counts it as transfer
// income.
func (s *Service) ReliefIncome(ctx context.Context, householdID int64, since time.Time) (float64, []int64, error) {
	return s.Store.ReliefIncome(ctx, householdID, since.In(backstop.Beijing).Format(time.DateOnly))
}

// WaterTestInput is a lab's water-quality test.
type WaterTestInput struct {
	TestedOn string `json:"tested_on"`
	Lab      string `json:"lab"`
	Pass     *bool  `json:"pass"`
	Note     string `json:"note"`
}

// RecordWaterTest stores a water-quality test of a household's water.
func (s *Service) RecordWaterTest(ctx context.Context, number string, in WaterTestInput) (*backstop.WaterRecord, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	on, err := date("tested_on", "检测日期", in.TestedOn, s.today())
	if err != nil {
		return nil, err
	}
	lab, err := text("lab", "检测机构", in.Lab, true)
	if err != nil {
		return nil, err
	}
	if in.Pass == nil {
		return nil, invalid("pass", "请填写检测是否合格（true/false）", "true or false is required")
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	r := &backstop.WaterRecord{Kind: backstop.WaterQualityTest, Household: h.Number, On: on, Lab: lab, Pass: *in.Pass, Water: backstop.WaterCheck{QualityOK: in.Pass}, Note: note}
	if !*in.Pass {
		r.Failures = []string{"水质检测不达标"}
	}
	if err := s.Store.CreateWaterRecord(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// RecheckInput is a re-check of the four indicators.
type RecheckInput struct {
	CheckedOn string              `json:"checked_on"`
	Water     backstop.WaterCheck `json:"water"`
	Note      string              `json:"note"`
}

// RecheckWater judges the household's four drinking-water indicators
// against the water standard in force for its village, and stores the
// finding with the standard's version.
func (s *Service) RecheckWater(ctx context.Context, number string, in RecheckInput) (*backstop.WaterRecord, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	on, err := date("checked_on", "复核日期", in.CheckedOn, s.today())
	if err != nil {
		return nil, err
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	w := in.Water
	if w.LitresPerPersonDay == nil || w.QualityOK == nil || w.TripMinutes == nil || w.OutageDays == nil {
		return nil, invalid("water", "四项指标（水量、水质、取水时间、供水保证率）须全部填写", "all four indicators are required")
	}
	if err := (&backstop.LossReport{Water: w}).Validate(); err != nil {
		return nil, err
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	d, _ := workday.ParseDate(on)
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyWaterStandard, h.VillageCode, d.Time())
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员在政策参数中设置", "The policy %s is not set: an admin must add a version.", backstop.PolicyWaterStandard)
	} else if err != nil {
		return nil, err
	}
	std, err := risk.WaterStandardOf(p)
	if err != nil {
		return nil, err
	}
	r := &backstop.WaterRecord{Kind: backstop.WaterRecheck, Household: h.Number, On: on, Water: w, Failures: std.Failures(w), PolicyID: p.ID, Note: note}
	r.Pass = len(r.Failures) == 0
	if err := s.Store.CreateWaterRecord(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// WaterRecords lists a household's tests and re-checks.
func (s *Service) WaterRecords(ctx context.Context, number string) ([]*backstop.WaterRecord, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, err
	}
	return s.Store.FindWaterRecords(ctx, number)
}

// RepairInput opens a water repair task.
type RepairInput struct {
	Problem    string `json:"problem"`
	Assignee   string `json:"assignee"`
	Department string `json:"department"`
	Note       string `json:"note"`
}

// OpenRepair opens a repair of a household's water supply for a helper or
// a department, due in the policy's working days.
func (s *Service) OpenRepair(ctx context.Context, number string, in RepairInput) (*backstop.WaterRepair, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	problem, err := text("problem", "问题描述", in.Problem, true)
	if err != nil {
		return nil, err
	}
	assignee, err := text("assignee", "负责人（帮扶责任人或部门联系人）", in.Assignee, true)
	if err != nil {
		return nil, err
	}
	dept, err := text("department", "负责部门", in.Department, false)
	if err != nil {
		return nil, err
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	h, err := s.household(ctx, number)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyWaterRepairDue, h.VillageCode, now)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员在政策参数中设置", "The policy %s is not set: an admin must add a version.", backstop.PolicyWaterRepairDue)
	} else if err != nil {
		return nil, err
	}
	if s.Clocks == nil {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置计时服务", "No clock engine is configured.")
	}
	// The due date is the clock's: the repair shows the day its clock
	// escalates after.
	clk, err := s.Clocks.New(ctx, backstop.ClockWaterRepair, "", h.VillageCode, now, p)
	if err != nil {
		return nil, err
	}
	r := &backstop.WaterRepair{Household: h.Number, Problem: problem, Assignee: assignee, Department: dept, DueOn: clk.DueDate, Note: note}
	if err := s.Store.CreateWaterRepair(ctx, r, clk); err != nil {
		return nil, err
	}
	return r, nil
}

// FinishInput marks a repair done.
type FinishInput struct {
	Version int    `json:"version"`
	DoneOn  string `json:"done_on"`
	Note    string `json:"note"`
}

// FinishRepair marks a repair done (compare-and-set on its version); its
// clock is met with it.
func (s *Service) FinishRepair(ctx context.Context, id int64, in FinishInput) (*backstop.WaterRepair, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	if in.Version < 1 {
		return nil, invalid("version", "请提供读取时的版本号（version）", "the version read is required")
	}
	on, err := date("done_on", "完成日期", in.DoneOn, s.today())
	if err != nil {
		return nil, err
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	return s.Store.FinishWaterRepair(ctx, id, in.Version, on, note)
}

// Repairs pages repairs: a household's or a region's, open only when
// asked.
func (s *Service) Repairs(ctx context.Context, household, region string, open bool, offset, limit int) ([]*backstop.WaterRepair, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	return s.Store.FindWaterRepairs(ctx, household, region, open, offset, limit)
}

// SupplyPointInput is an emergency water supply point.
type SupplyPointInput struct {
	Village    string         `json:"village"`
	Name       string         `json:"name"`
	Location   backstop.Point `json:"location"`
	Households int            `json:"households_served"`
	Note       string         `json:"note"`
}

// AddSupplyPoint stores an emergency supply point of a village.
func (s *Service) AddSupplyPoint(ctx context.Context, in SupplyPointInput) (*backstop.SupplyPoint, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	village, err := backstop.NormalizeRegionCode(in.Village)
	if err != nil || backstop.LevelOfCode(village) != backstop.LevelVillage {
		return nil, invalid("village", "请填写12位村级区划代码", "a 12-digit village code")
	}
	name, err := text("name", "供水点名称", in.Name, true)
	if err != nil {
		return nil, err
	}
	if err := backstop.ValidateLocation(in.Location); err != nil {
		return nil, invalid("location", "位置有误："+backstop.ErrorMessageZH(err), backstop.ErrorMessage(err))
	}
	if in.Households < 1 || in.Households > backstop.MaxSupplyServed {
		return nil, invalid("households_served", fmt.Sprintf("服务户数须在1至%d之间", backstop.MaxSupplyServed), fmt.Sprintf("1 to %d households", backstop.MaxSupplyServed))
	}
	note, err := text("note", "备注", in.Note, false)
	if err != nil {
		return nil, err
	}
	p := &backstop.SupplyPoint{VillageCode: village, Name: name, Location: in.Location, Households: in.Households, Note: note}
	if err := s.Store.CreateSupplyPoint(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// SupplyPoints pages the supply points of a region.
func (s *Service) SupplyPoints(ctx context.Context, region string, offset, limit int) ([]*backstop.SupplyPoint, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	return s.Store.FindSupplyPoints(ctx, region, offset, limit)
}
