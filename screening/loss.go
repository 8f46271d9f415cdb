package screening

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // photos may be GIF
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/risk"
)

// LossInput is a loss report as a visit fills it (the API's and the
// phone form's fields).
type LossInput struct {
	EventID          int64               `json:"event_id,omitempty"`
	TaskID           int64               `json:"task_id,omitempty"`
	HouseDamage      string              `json:"house_damage"`
	HouseRooms       int                 `json:"house_rooms"`
	HouseLoss        float64             `json:"house_loss_yuan"`
	Water            backstop.WaterCheck `json:"water"`
	ProductionNote   string              `json:"production_note,omitempty"`
	ProductionLoss   float64             `json:"production_loss_yuan"`
	CropAreaMu       float64             `json:"crop_area_mu"`
	CropLossPct      float64             `json:"crop_loss_pct"`
	CropLoss         float64             `json:"crop_loss_yuan"`
	LivestockHead    int                 `json:"livestock_head"`
	LivestockLoss    float64             `json:"livestock_loss_yuan"`
	WageLoss         float64             `json:"wage_loss_yuan"`
	Claims           float64             `json:"claims_yuan"`
	Relief           float64             `json:"relief_yuan"`
	MedicalPaid      float64             `json:"medical_self_paid_yuan"`
	SchoolCost       float64             `json:"school_cost_yuan"`
	UninsuredMembers int                 `json:"uninsured_members"`
	Relocated        int                 `json:"relocated"`
	ReliefNeeded     int                 `json:"relief_needed"`
	FoodClothingOK   *bool               `json:"food_clothing_ok"`
	Checklist        map[string]bool     `json:"checklist,omitempty"`
	Note             string              `json:"note,omitempty"`
	Location         *backstop.Point     `json:"location,omitempty"`
}

// report turns the input into a checked report for a household.
func (in *LossInput) report(household string) (*backstop.LossReport, error) {
	damage, err := backstop.ParseHouseDamage(in.HouseDamage)
	if err != nil {
		return nil, err
	}
	r := &backstop.LossReport{HouseholdNumber: household, EventID: in.EventID, TaskID: in.TaskID, HouseDamage: damage, HouseRooms: in.HouseRooms, HouseLoss: in.HouseLoss,
		Water: in.Water, ProductionNote: in.ProductionNote, ProductionLoss: in.ProductionLoss, CropAreaMu: in.CropAreaMu, CropLossPct: in.CropLossPct, CropLoss: in.CropLoss,
		LivestockHead: in.LivestockHead, LivestockLoss: in.LivestockLoss, WageLoss: in.WageLoss, Claims: in.Claims, Relief: in.Relief, MedicalPaid: in.MedicalPaid,
		SchoolCost: in.SchoolCost, UninsuredMembers: in.UninsuredMembers, Relocated: in.Relocated, ReliefNeeded: in.ReliefNeeded, FoodClothingOK: in.FoodClothingOK,
		Checklist: in.Checklist, Note: in.Note, Location: in.Location}
	return r, r.Validate()
}

// assess judges a report under the policy versions in force for the
// household's region on the report's date.
func (s *Service) assess(ctx context.Context, h *backstop.Household, r *backstop.LossReport, e *backstop.DisasterEvent, date time.Time) (*backstop.Assessment, error) {
	line, err := s.Store.PolicyAt(ctx, backstop.PolicyMonitoringLine, h.VillageCode, date)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		line, err = nil, nil // no line set for the year: the assessment says so
	}
	if err != nil {
		return nil, err
	}
	versions := map[string]*backstop.Policy{}
	for _, k := range risk.Keys {
		if versions[k], err = s.policy(ctx, k, h.VillageCode, date); err != nil {
			return nil, err
		}
	}
	p, err := risk.FromVersions(line, versions)
	if err != nil {
		return nil, err
	}
	if s.ClaimIncome != nil && e != nil {
		paid, _, err := s.ClaimIncome(ctx, h.ID, e.StartedAt)
		if err != nil {
			return nil, err
		}
		if paid > r.Claims {
			counted := *r
			counted.Claims = paid
			r = &counted
		}
	}
	if s.ReliefIncome != nil && e != nil {
		granted, _, err := s.ReliefIncome(ctx, h.ID, e.StartedAt)
		if err != nil {
			return nil, err
		}
		if granted > r.Relief {
			counted := *r
			counted.Relief = granted
			r = &counted
		}
	}
	a := risk.Assess(risk.Input{Household: h, Report: r, Event: e, Date: date}, p)
	a.AssessedAt = s.now()
	return &a, nil
}

// household reads a household of the user's region (not found outside
// it, with a Chinese text).
func (s *Service) household(ctx context.Context, number string) (*backstop.Household, error) {
	h, err := s.Store.FindHousehold(ctx, number)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户（或不在您的管辖范围内）", "Household %s not found.", number)
	}
	return h, err
}

// LossAnswer is a stored report with the assessment made of it.
type LossAnswer struct {
	*backstop.LossReport
	Assessment *backstop.Assessment `json:"assessment"`
}

// event finds a report's event, if it names one.
func (s *Service) event(ctx context.Context, id int64) (*backstop.DisasterEvent, error) {
	if id == 0 {
		return nil, nil
	}
	e, err := s.Store.FindEvent(ctx, id)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, invalid("event_id", fmt.Sprintf("找不到灾害过程%d", id), fmt.Sprintf("event %d not found", id))
	}
	return e, err
}

// FileLossReport stores a first loss report of a household (with a visit,
// or by a disaster information officer without one) and its assessment.
func (s *Service) FileLossReport(ctx context.Context, household string, in LossInput) (*LossAnswer, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReportLoss); err != nil {
		return nil, err
	}
	h, err := s.household(ctx, household)
	if err != nil {
		return nil, err
	}
	r, err := in.report(h.Number)
	if err != nil {
		return nil, err
	}
	if r.TaskID != 0 {
		t, err := s.Store.FindVisit(ctx, r.TaskID)
		if err != nil {
			return nil, err
		}
		if t.HouseholdNumber != h.Number {
			return nil, invalid("task_id", fmt.Sprintf("走访任务%d不是农户%s的", t.ID, h.Number), fmt.Sprintf("visit %d is not household %s's", t.ID, h.Number))
		}
		if t.Visit != nil {
			r.CampaignID = t.Visit.Campaign
			if r.EventID == 0 {
				r.EventID = t.Visit.EventID
			}
		}
	}
	return s.store(ctx, h, r)
}

// store assesses and stores a report version.
func (s *Service) store(ctx context.Context, h *backstop.Household, r *backstop.LossReport) (*LossAnswer, error) {
	e, err := s.event(ctx, r.EventID)
	if err != nil {
		return nil, err
	}
	if e != nil && !e.Covers(h.VillageCode) {
		return nil, invalid("event_id", fmt.Sprintf("农户%s不在灾害过程%d的范围内", h.Number, e.ID), fmt.Sprintf("household %s is outside event %d's area", h.Number, e.ID))
	}
	r.State = backstop.LossSubmitted
	a, err := s.assess(ctx, h, r, e, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateLossReport(ctx, r, a); err != nil {
		return nil, err
	}
	return &LossAnswer{LossReport: r, Assessment: a}, nil
}

// CorrectLossReport stores a new version of a report (the current one):
// it needs verifying again.
func (s *Service) CorrectLossReport(ctx context.Context, id int64, in LossInput) (*LossAnswer, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReportLoss)
	if err != nil {
		return nil, err
	}
	old, err := s.Store.FindLossReport(ctx, id)
	if err != nil {
		return nil, lossOutside(u, err, id)
	}
	if !old.Current {
		return nil, backstop.Localized(backstop.ECONFLICT, "灾损报告%d不是最新版本，请更正最新版本", "Loss report %d is not the current version: correct that one.", id)
	}
	h, err := s.household(ctx, old.HouseholdNumber)
	if err != nil {
		return nil, err
	}
	r, err := in.report(h.Number)
	if err != nil {
		return nil, err
	}
	r.Corrects, r.EventID, r.CampaignID, r.TaskID = old.ID, old.EventID, old.CampaignID, 0
	return s.store(ctx, h, r)
}

// VerifyLossReport has the township verify the current version: the
// assessment is made again, now with a verified report (the green
// channel may open).
func (s *Service) VerifyLossReport(ctx context.Context, id int64) (*LossAnswer, error) {
	u, err := backstop.Authorize(ctx, backstop.PermVerifyLoss)
	if err != nil {
		return nil, err
	}
	if backstop.LevelOfCode(u.Region) == backstop.LevelVillage {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "灾损报告须由乡镇或以上核实", "Loss reports are verified by a township or above.")
	}
	r, err := s.Store.FindLossReport(ctx, id)
	if err != nil {
		return nil, lossOutside(u, err, id)
	}
	h, err := s.household(ctx, r.HouseholdNumber)
	if err != nil {
		return nil, err
	}
	e, err := s.event(ctx, r.EventID)
	if err != nil {
		return nil, err
	}
	r.State = backstop.LossVerified
	a, err := s.assess(ctx, h, r, e, r.ReportedAt)
	if err != nil {
		return nil, err
	}
	got, err := s.Store.VerifyLossReport(ctx, id, a)
	if err != nil {
		return nil, err
	}
	if s.LossVerified != nil {
		s.LossVerified(ctx, got, a)
	}
	return &LossAnswer{LossReport: got, Assessment: a}, nil
}

// lossOutside is a write's answer for a report not found in the user's
// region.
func lossOutside(u *backstop.User, err error, id int64) error {
	return backstop.NotInRegion(u, err, fmt.Sprintf("灾损报告%d", id), fmt.Sprintf("loss report %d", id))
}

// LossReport returns one version; LossReports lists a household's.
func (s *Service) LossReport(ctx context.Context, id int64) (*backstop.LossReport, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	return s.Store.FindLossReport(ctx, id)
}

// LossReports pages reports in the user's region.
func (s *Service) LossReports(ctx context.Context, f backstop.LossReportFilter) ([]*backstop.LossReport, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	if f.Household != "" {
		// A household outside the region is not found, not an empty list.
		if _, err := s.household(ctx, f.Household); err != nil {
			return nil, 0, err
		}
	}
	return s.Store.FindLossReports(ctx, f)
}

// MaxPhotoPixels bounds the pixels of a photo (a decode holds them all).
const MaxPhotoPixels = 64_000_000

// DefaultMaxPhotoBytes is a photo's size limit unless configured.
const DefaultMaxPhotoBytes = 8 << 20

func (s *Service) maxPhoto() int64 {
	if s.MaxPhotoBytes > 0 {
		return s.MaxPhotoBytes
	}
	return DefaultMaxPhotoBytes
}

var photoTypes = map[string]string{"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}

// AddPhoto checks that body is an image (by its content: a JPEG, PNG or
// GIF that decodes), within the size limit, stores it as a file named by
// its SHA-256 under the photo directory, and records it on the report.
func (s *Service) AddPhoto(ctx context.Context, reportID int64, body io.Reader) (*backstop.Photo, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReportLoss)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.FindLossReport(ctx, reportID); err != nil {
		return nil, lossOutside(u, err, reportID)
	}
	data, err := io.ReadAll(io.LimitReader(body, s.maxPhoto()+1))
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "照片上传中断，请重试", "The photo upload broke off: try again.")
	}
	ct, cfg, err := InspectPhoto(data, s.maxPhoto())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	path := s.photoPath(hash)
	if err := WriteAddressed(path, data); err != nil {
		return nil, err
	}
	p := &backstop.Photo{Hash: hash, ContentType: ct, Bytes: int64(len(data)), Width: cfg.Width, Height: cfg.Height}
	if err := s.Store.AddPhoto(ctx, reportID, p); err != nil {
		return nil, err
	}
	return p, nil
}

// InspectPhoto checks that data is an image by its content — a JPEG, PNG
// or GIF whose header reads and whose pixels decode, within the byte
// limit and the pixel budget (a decode holds every pixel) — and returns
// its media type and size. The name a file came with says nothing.
func InspectPhoto(data []byte, limit int64) (string, image.Config, error) {
	if int64(len(data)) > limit {
		return "", image.Config{}, &backstop.Error{Code: backstop.ETOOLARGE, Message: fmt.Sprintf("photo: a photo is limited to %d MiB.", limit>>20),
			ZH: fmt.Sprintf("照片不能超过%d MB（photo）", limit>>20), Details: []backstop.Problem{{Path: "photo", Reason: fmt.Sprintf("over %d bytes", limit), ReasonZH: fmt.Sprintf("超过%d MB", limit>>20)}}}
	}
	notImage := &backstop.Error{Code: backstop.EUNSUPPORTED, Message: "photo: the file is not an image (JPEG, PNG or GIF).",
		ZH: "上传的文件不是图片，只接受JPEG、PNG或GIF照片（photo）", Details: []backstop.Problem{{Path: "photo", Reason: "not a JPEG, PNG or GIF image", ReasonZH: "不是JPEG、PNG或GIF图片"}}}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	ct, ok := photoTypes[format]
	if err != nil || !ok || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", cfg, notImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPhotoPixels {
		return "", cfg, &backstop.Error{Code: backstop.ETOOLARGE, Message: fmt.Sprintf("photo: %d×%d pixels is over the limit of %d megapixels.", cfg.Width, cfg.Height, MaxPhotoPixels/1_000_000),
			ZH: fmt.Sprintf("照片像素过大（%d×%d，上限%d百万像素）（photo）", cfg.Width, cfg.Height, MaxPhotoPixels/1_000_000), Details: []backstop.Problem{{Path: "photo", Reason: "too many pixels", ReasonZH: "像素过大"}}}
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", cfg, notImage
	}
	return ct, cfg, nil
}

// photoPath is where a photo's file lives: by hash, two levels.
func (s *Service) photoPath(hash string) string {
	return filepath.Join(s.PhotoDir, hash[:2], hash)
}

// Photo opens a photo of a report in the user's region.
func (s *Service) Photo(ctx context.Context, reportID int64, hash string) (*backstop.Photo, *os.File, error) {
	r, err := s.LossReport(ctx, reportID)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range r.Photos {
		if p.Hash == hash {
			f, err := os.Open(s.photoPath(hash))
			if err != nil {
				return nil, nil, backstop.Localized(backstop.ENOTFOUND, "照片文件缺失", "The photo's file is missing.")
			}
			return &p, f, nil
		}
	}
	return nil, nil, backstop.Localized(backstop.ENOTFOUND, "找不到该照片", "Photo not found.")
}

// Assessment returns a household's current assessment.
func (s *Service) Assessment(ctx context.Context, household string) (*backstop.Assessment, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	return s.Store.FindAssessment(ctx, household)
}

// Reevaluate judges a household's stored assessment again under the
// policy versions in force now for the report's date, and says what
// would change; nothing is written.
func (s *Service) Reevaluate(ctx context.Context, household string) (*backstop.AssessmentChange, error) {
	stored, err := s.Assessment(ctx, household)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.FindLossReport(ctx, stored.LossReportID)
	if err != nil {
		return nil, err
	}
	h, err := s.household(ctx, household)
	if err != nil {
		return nil, err
	}
	e, err := s.event(ctx, r.EventID)
	if err != nil {
		return nil, err
	}
	// The report's date, as when it was made: only the versions in force
	// for that date may differ.
	now, err := s.assess(ctx, h, r, e, r.ReportedAt)
	if err != nil {
		return nil, err
	}
	now.LossReportID, now.Current = r.ID, false
	zh, en := risk.Diff(stored, now)
	return &backstop.AssessmentChange{Stored: stored, Now: now, Changed: len(zh) > 0, Changes: nonNil(zh), ChangesEN: nonNil(en)}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Assessments pages current assessments, the highest risk first.
func (s *Service) Assessments(ctx context.Context, f backstop.AssessmentFilter) ([]*backstop.Assessment, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	return s.Store.FindAssessments(ctx, f)
}

// AtRisk pages the households assessed at risk that are not monitored.
func (s *Service) AtRisk(ctx context.Context, region string, offset, limit int) ([]*backstop.AtRiskEntry, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	if region != "" {
		var err error
		if region, err = backstop.NormalizeRegionCode(region); err != nil {
			return nil, 0, invalid("region", "地区代码有误", backstop.ErrorMessage(err))
		}
	}
	return s.Store.AtRiskQueue(ctx, region, offset, limit)
}

// WriteAddressed writes a file named by its content's hash, once: a file
// already there is the same bytes; a new one appears whole (written to a
// temporary file beside it, then renamed) or not at all.
func WriteAddressed(path string, data []byte) error {
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %v %v", filepath.Base(path), werr, cerr)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
