package backstop

import (
	"context"
	"fmt"
	"math"
	"time"
)

// HouseDamage is a house's damage class in the disaster statistics.
type HouseDamage string

// House damage classes.
const (
	DamageNone      HouseDamage = "none"
	DamageModerate  HouseDamage = "moderate"  // 一般损坏
	DamageSevere    HouseDamage = "severe"    // 严重损坏
	DamageCollapsed HouseDamage = "collapsed" // 倒塌
)

// HouseDamages lists them, worst last.
var HouseDamages = []HouseDamage{DamageNone, DamageModerate, DamageSevere, DamageCollapsed}

// ZH is the class as the statistics forms write it.
func (d HouseDamage) ZH() string {
	switch d {
	case DamageModerate:
		return "一般损坏"
	case DamageSevere:
		return "严重损坏"
	case DamageCollapsed:
		return "倒塌"
	}
	return "无损坏"
}

// ParseHouseDamage checks a class name ("" is none).
func ParseHouseDamage(s string) (HouseDamage, error) {
	if s == "" {
		return DamageNone, nil
	}
	for _, d := range HouseDamages {
		if string(d) == s {
			return d, nil
		}
	}
	return "", &Error{Code: EINVALID, Message: fmt.Sprintf("house_damage must be none, moderate, severe or collapsed, not %q.", s),
		ZH:      fmt.Sprintf("住房损坏程度（house_damage）只能是 none（无）、moderate（一般损坏）、severe（严重损坏）或 collapsed（倒塌），不能是“%s”", s),
		Details: []Problem{{Path: "house_damage", Reason: "unknown damage class " + s, ReasonZH: "未知的损坏程度：" + s}}}
}

// WaterCheck are the four drinking-water indicators of a household.
type WaterCheck struct {
	LitresPerPersonDay *float64 `json:"litres_per_person_day"`
	QualityOK          *bool    `json:"quality_ok"`
	TripMinutes        *float64 `json:"trip_minutes"`
	OutageDays         *float64 `json:"outage_days"`
}

// Loss report states.
const (
	LossSubmitted = "submitted" // filed or corrected; the township has not verified this version
	LossVerified  = "verified"  // verified by the township (or above)
)

// LossReport is one version of a household's loss report for a disaster
// (or a visit without one): what the visit found, who filed it and when.
// A correction is a new version; the previous one stays, no longer
// current.
type LossReport struct {
	ID              int64  `json:"id"`
	HouseholdID     int64  `json:"-"`
	HouseholdNumber string `json:"household_number"`
	VillageCode     string `json:"village_code"`
	EventID         int64  `json:"event_id,omitempty"`
	CampaignID      int64  `json:"campaign_id,omitempty"`
	TaskID          int64  `json:"task_id,omitempty"`
	// Chain is the id of the first version; Version counts from 1.
	// Corrects, on a correction, is the version it corrects: it must still
	// be current when the correction is stored.
	Corrects int64 `json:"corrects,omitempty"`
	Chain    int64 `json:"chain"`
	Version  int   `json:"version"`
	Current  bool  `json:"current"`

	HouseDamage HouseDamage `json:"house_damage"`
	HouseRooms  int         `json:"house_rooms"`
	HouseLoss   float64     `json:"house_loss_yuan"`
	Water       WaterCheck  `json:"water"`
	// Production facilities (生产设施): what was damaged, and the loss.
	ProductionNote string  `json:"production_note,omitempty"`
	ProductionLoss float64 `json:"production_loss_yuan"`
	CropAreaMu     float64 `json:"crop_area_mu"`
	CropLossPct    float64 `json:"crop_loss_pct"`
	CropLoss       float64 `json:"crop_loss_yuan"`
	LivestockHead  int     `json:"livestock_head"`
	LivestockLoss  float64 `json:"livestock_loss_yuan"`
	WageLoss       float64 `json:"wage_loss_yuan"`
	Claims         float64 `json:"claims_yuan"`
	Relief         float64 `json:"relief_yuan"`
	MedicalPaid    float64 `json:"medical_self_paid_yuan"`
	SchoolCost     float64 `json:"school_cost_yuan"`
	// UninsuredMembers are members found without basic medical insurance.
	UninsuredMembers int `json:"uninsured_members"`
	// Relocated and ReliefNeeded are people of the household moved to
	// safety and needing emergency living relief.
	Relocated      int   `json:"relocated"`
	ReliefNeeded   int   `json:"relief_needed"`
	FoodClothingOK *bool `json:"food_clothing_ok"`
	// Checklist holds the must-check answers: item code → no problem.
	Checklist map[string]bool `json:"checklist,omitempty"`
	Note      string          `json:"note,omitempty"`
	Location  *Point          `json:"location,omitempty"`
	Photos    []Photo         `json:"photos,omitempty"`

	State      string     `json:"state"`
	ReportedBy string     `json:"reported_by"`
	ReportedAt time.Time  `json:"reported_at"`
	VerifiedBy string     `json:"verified_by,omitempty"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

// Verified tells a version the township verified.
func (r *LossReport) Verified() bool { return r.State == LossVerified }

// Limits of a loss report's figures: beyond them an entry is a typing
// error, not a household's loss.
const (
	MaxHouseRooms  = 60
	MaxYuan        = 1e8
	MaxCropAreaMu  = 1e5
	MaxLivestock   = 1e5
	MaxPeopleField = 100
	MaxNoteRunes   = 1000
	MaxLitres      = 1000
	MaxTripMinutes = 24 * 60
	MaxOutageDays  = 366
)

// Validate checks every figure and names each problem's field in both
// languages.
func (r *LossReport) Validate() error {
	var probs []Problem
	bad := func(field, en, zh string) {
		probs = append(probs, Problem{Path: field, Reason: en, ReasonZH: zh})
	}
	money := func(field, zh string, v float64) {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			bad(field, "not a number", zh+"不是数字")
		case v < 0:
			bad(field, fmt.Sprintf("%g is negative", v), fmt.Sprintf("%s不能为负数（%g）", zh, v))
		case v > MaxYuan:
			bad(field, fmt.Sprintf("%g is over the limit of %g yuan", v, float64(MaxYuan)), fmt.Sprintf("%s超过上限%g元（%g）", zh, float64(MaxYuan), v))
		}
	}
	count := func(field, zh string, v, limit int) {
		switch {
		case v < 0:
			bad(field, fmt.Sprintf("%d is negative", v), fmt.Sprintf("%s不能为负数（%d）", zh, v))
		case v > limit:
			bad(field, fmt.Sprintf("%d is over the limit of %d", v, limit), fmt.Sprintf("%s超过合理上限%d（%d）", zh, limit, v))
		}
	}
	switch r.HouseDamage {
	case DamageNone, DamageModerate, DamageSevere, DamageCollapsed:
	case "":
		r.HouseDamage = DamageNone
	default:
		bad("house_damage", "unknown damage class "+string(r.HouseDamage), "未知的损坏程度："+string(r.HouseDamage))
	}
	count("house_rooms", "受损住房间数", r.HouseRooms, MaxHouseRooms)
	if r.HouseDamage != DamageNone && r.HouseDamage != "" && r.HouseRooms == 0 {
		bad("house_rooms", "a damaged house needs its damaged rooms (间)", "住房受损须填写受损间数")
	}
	if r.HouseDamage == DamageNone && r.HouseRooms > 0 {
		bad("house_rooms", "rooms given for a house without damage", "未受损的住房不应填写受损间数")
	}
	money("house_loss_yuan", "住房损失", r.HouseLoss)
	money("production_loss_yuan", "生产设施损失", r.ProductionLoss)
	money("crop_loss_yuan", "农作物损失", r.CropLoss)
	money("livestock_loss_yuan", "畜禽损失", r.LivestockLoss)
	money("wage_loss_yuan", "务工收入减少", r.WageLoss)
	money("claims_yuan", "保险理赔", r.Claims)
	money("relief_yuan", "救灾救助资金", r.Relief)
	money("medical_self_paid_yuan", "合规自付医疗费用", r.MedicalPaid)
	money("school_cost_yuan", "教育支出", r.SchoolCost)
	switch v := r.CropAreaMu; {
	case math.IsNaN(v) || v < 0:
		bad("crop_area_mu", fmt.Sprintf("%g is negative", v), fmt.Sprintf("受灾农作物面积不能为负数（%g）", v))
	case v > MaxCropAreaMu:
		bad("crop_area_mu", fmt.Sprintf("%g mu is over the limit of %g", v, float64(MaxCropAreaMu)), fmt.Sprintf("受灾农作物面积超过上限%g亩（%g）", float64(MaxCropAreaMu), v))
	}
	switch v := r.CropLossPct; {
	case math.IsNaN(v) || v < 0 || v > 100:
		bad("crop_loss_pct", fmt.Sprintf("%g is not a percentage from 0 to 100", v), fmt.Sprintf("农作物损失比例须在0至100之间（%g）", v))
	}
	if r.CropLossPct > 0 && r.CropAreaMu == 0 {
		bad("crop_area_mu", "a crop loss needs the area (亩)", "填写了农作物损失比例，须填写受灾面积（亩）")
	}
	count("livestock_head", "畜禽死亡数量", r.LivestockHead, MaxLivestock)
	count("uninsured_members", "未参加基本医疗保险人数", r.UninsuredMembers, MaxPeopleField)
	count("relocated", "紧急转移安置人数", r.Relocated, MaxPeopleField)
	count("relief_needed", "需紧急生活救助人数", r.ReliefNeeded, MaxPeopleField)
	w := r.Water
	if v := w.LitresPerPersonDay; v != nil && (math.IsNaN(*v) || *v < 0 || *v > MaxLitres) {
		bad("water.litres_per_person_day", fmt.Sprintf("%g is not 0 to %d litres", *v, MaxLitres), fmt.Sprintf("人均日供水量须在0至%d升之间（%g）", MaxLitres, *v))
	}
	if v := w.TripMinutes; v != nil && (math.IsNaN(*v) || *v < 0 || *v > MaxTripMinutes) {
		bad("water.trip_minutes", fmt.Sprintf("%g is not 0 to %d minutes", *v, MaxTripMinutes), fmt.Sprintf("单次取水往返时间须在0至%d分钟之间（%g）", MaxTripMinutes, *v))
	}
	if v := w.OutageDays; v != nil && (math.IsNaN(*v) || *v < 0 || *v > MaxOutageDays) {
		bad("water.outage_days", fmt.Sprintf("%g is not 0 to %d days", *v, MaxOutageDays), fmt.Sprintf("年停水天数须在0至%d天之间（%g）", MaxOutageDays, *v))
	}
	if n := len([]rune(r.Note)); n > MaxNoteRunes {
		bad("note", fmt.Sprintf("longer than %d characters", MaxNoteRunes), fmt.Sprintf("备注超过%d字", MaxNoteRunes))
	}
	if n := len([]rune(r.ProductionNote)); n > MaxNoteRunes {
		bad("production_note", fmt.Sprintf("longer than %d characters", MaxNoteRunes), fmt.Sprintf("生产设施说明超过%d字", MaxNoteRunes))
	}
	if len(r.Checklist) > 200 {
		bad("checklist", "more than 200 answers", "排查清单答案超过200项")
	}
	if r.Location != nil {
		if err := ValidateLocation(*r.Location); err != nil {
			bad("location", ErrorMessage(err), ErrorMessageZH(err))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: fmt.Sprintf("The loss report has %d problem(s): %s", len(probs), probs[0].String()),
		ZH: fmt.Sprintf("灾损报告有%d处错误：%s：%s", len(probs), probs[0].Path, probs[0].ReasonZH), Details: probs}
}

// Photo is a picture of a loss report, stored as a file named by its
// content hash outside the database row.
type Photo struct {
	Hash        string    `json:"hash"` // SHA-256, hex
	ContentType string    `json:"content_type"`
	Bytes       int64     `json:"bytes"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	AddedBy     string    `json:"added_by"`
	AddedAt     time.Time `json:"added_at"`
}

// LossReportFilter selects loss reports.
type LossReportFilter struct {
	Household string
	EventID   int64
	Region    string
	// Damaged: only current reports with a damaged house (the ledger).
	Damaged bool
	All     bool // every version, not only current ones
	Offset  int
	Limit   int
}

// LedgerRow is a line of the 因灾倒塌损坏住房户台账: a current report with
// a damaged house, joined to the registry.
type LedgerRow struct {
	Report       *LossReport `json:"report"`
	HeadName     string      `json:"head_name"`
	Township     string      `json:"township"`
	Village      string      `json:"village"`
	Size         int         `json:"size"`
	Type         string      `json:"type,omitempty"`
	MonitorType  string      `json:"monitor_type,omitempty"`
	Phone        string      `json:"phone,omitempty"`
	HousingGrade string      `json:"housing_grade,omitempty"`
	Structure    string      `json:"housing_structure,omitempty"`
}

// LossReportService stores loss reports and the assessments made of them.
type LossReportService interface {
	// CreateLossReport stores a first version (r.Corrects 0) or a
	// correction of the version r.Corrects, by compare-and-set on it being
	// current (ECONFLICT when another correction came first), for
	// a household in the user's region (ENOTFOUND outside it, as for any
	// read of it), with its
	// assessment, in one transaction; a visit task named by r.TaskID is
	// finished with it.
	CreateLossReport(ctx context.Context, r *LossReport, a *Assessment) error
	FindLossReport(ctx context.Context, id int64) (*LossReport, error)
	FindLossReports(ctx context.Context, f LossReportFilter) ([]*LossReport, int, error)
	// VerifyLossReport marks the current, unverified version verified by
	// compare-and-set, storing the assessment made with the verification.
	VerifyLossReport(ctx context.Context, id int64, a *Assessment) (*LossReport, error)
	// AddPhoto records a stored photo file of a report.
	AddPhoto(ctx context.Context, reportID int64, p *Photo) error
	// DamageLedger pages the current reports of an event with a damaged
	// house, with their households.
	DamageLedger(ctx context.Context, eventID int64, region string, fn func(*LedgerRow) error) error
	// FindAssessment returns a household's current assessment.
	FindAssessment(ctx context.Context, household string) (*Assessment, error)
	FindAssessments(ctx context.Context, f AssessmentFilter) ([]*Assessment, int, error)
	// AtRiskQueue pages the households assessed at risk that are not
	// monitored, oldest report first.
	AtRiskQueue(ctx context.Context, region string, offset, limit int) ([]*AtRiskEntry, int, error)
}
