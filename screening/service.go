// Package screening is the use-case layer of what comes after a disaster:
// disaster events (灾害过程) with their statistics and reports, screening
// campaigns whose visits go to the helpers' phones, loss reports with
// their versions and verification, the risk assessment of each report
// (package risk), the queue of households at risk and not monitored, and
// the intake of self-reports (一键报贫) and department referrals with
// their clocks.
package screening

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
)

// Store is what screening needs of storage.
type Store interface {
	backstop.EventService
	backstop.CampaignService
	backstop.LossReportService
	backstop.IntakeService
	backstop.PolicyService
	backstop.AuditService
	FindWarning(ctx context.Context, id int64) (*backstop.Warning, error)
	FindExposure(ctx context.Context, warningID int64) (*backstop.Exposure, error)
	FindHousehold(ctx context.Context, number string) (*backstop.Household, error)
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
	ContactsFor(ctx context.Context, regions []string) ([]*backstop.Contact, error)
	OpenTasks(ctx context.Context, streamID int64, escalation int) ([]*backstop.FieldTask, error)
	FindTasks(ctx context.Context, f backstop.TaskFilter) ([]*backstop.FieldTask, int, error)
	AddMessages(ctx context.Context, streamID int64, channel, text string, ms []*backstop.Message, dedupe bool) (batch, written int, err error)
}

// Exposer computes a warning's exposure when none is stored.
type Exposer interface {
	Compute(ctx context.Context, w *backstop.Warning) (*backstop.ExposureSnapshot, error)
}

// Service runs the screening use cases.
type Service struct {
	Store   Store
	Exposer Exposer
	Clocks  *clock.Engine
	Logger  *slog.Logger
	Now     func() time.Time
	// PhotoDir holds the loss reports' photos, named by content hash.
	PhotoDir string
	// MaxPhotoBytes limits one photo (default 8 MiB).
	MaxPhotoBytes int64
	// LinkBase is where the helpers' links point (https://…); without it
	// no SMS is written for a campaign's visits.
	LinkBase string
	// ClaimIncome, when set, is what a household was paid on insurance
	// claims filed since a date (insurance.Service.ClaimIncome): an
	// assessment of a report of an event counts the larger of it and the
	// claims the report states (理赔收入), so that a payout the insurer
	// recorded changes the assessment.
	ClaimIncome func(ctx context.Context, householdID int64, since time.Time) (float64, []int64, error)
	// ReliefIncome, when set, is the relief a household was granted since
	// a date (assist.Service.ReliefIncome, 临时救助 and basic-living
	// relief): an assessment of a report of an event counts the larger of
	// it and the relief the report states, as transfer income.
	ReliefIncome func(ctx context.Context, householdID int64, since time.Time) (float64, []int64, error)
	// EventOpened and LossVerified, when set, hear of every event opened
	// and every report verified (departments' subscriptions).
	EventOpened  func(ctx context.Context, e *backstop.DisasterEvent)
	LossVerified func(ctx context.Context, r *backstop.LossReport, a *backstop.Assessment)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// policy reads a key in force for a region on a date; a missing version
// is an error that names the key.
func (s *Service) policy(ctx context.Context, key, region string, at time.Time) (*backstop.Policy, error) {
	p, err := s.Store.PolicyAt(ctx, key, region, at)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员在政策参数中设置", "The policy %s is not set: an admin must add a version.", key)
	}
	return p, err
}

// regionList normalises the codes of a request, at most max of them.
func regionList(field string, codes []string, max int) ([]string, error) {
	if len(codes) == 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: field + ": name at least one region.", ZH: "请至少给出一个地区（" + field + "）",
			Details: []backstop.Problem{{Path: field, Reason: "empty", ReasonZH: "为空"}}}
	}
	if len(codes) > max {
		return nil, backstop.Localized(backstop.ETOOLARGE, "地区（%s）最多%d个", "%s: at most %d regions.", field, max)
	}
	var out []string
	for i, c := range codes {
		n, err := backstop.NormalizeRegionCode(c)
		if err != nil {
			return nil, &backstop.Error{Code: backstop.EINVALID, Message: field + ": " + backstop.ErrorMessage(err), ZH: "地区代码有误（" + field + "）：" + c,
				Details: []backstop.Problem{{Path: field + "[" + strconv.Itoa(i) + "]", Reason: backstop.ErrorMessage(err), ReasonZH: "地区代码须为2、4、6、9或12位数字"}}}
		}
		out = append(out, n)
	}
	return out, nil
}

// invalid is an input error located at a field.
func invalid(field, zh, en string) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: field + ": " + en, ZH: zh + "（" + field + "）",
		Details: []backstop.Problem{{Path: field, Reason: en, ReasonZH: zh}}}
}

// runes bounds a text field.
func runes(field, zh, v string, lo, hi int) (string, error) {
	v = strings.TrimSpace(v)
	n := len([]rune(v))
	if n < lo {
		return "", invalid(field, zh+"不能为空", "required")
	}
	if n > hi {
		return "", &backstop.Error{Code: backstop.EINVALID, Message: field + ": longer than " + strconv.Itoa(hi) + " characters", ZH: zh + "不能超过" + strconv.Itoa(hi) + "字（" + field + "）",
			Details: []backstop.Problem{{Path: field, Reason: "longer than " + strconv.Itoa(hi) + " characters", ReasonZH: "超过" + strconv.Itoa(hi) + "字"}}}
	}
	return v, nil
}

// notify writes messages to a stream; a failure is logged: what it
// announces is stored already.
func (s *Service) notify(ctx context.Context, streamID int64, channel, text string, ms []*backstop.Message) int {
	if len(ms) == 0 {
		return 0
	}
	_, n, err := s.Store.AddMessages(ctx, streamID, channel, text, ms, true)
	if err != nil {
		s.logger().Error("screening: messages", "stream", streamID, "err", err)
	}
	return n
}

// tableOf reads a table policy's numbers (validated when stored).
func tableOf(p *backstop.Policy) map[string]float64 {
	var t map[string]float64
	json.Unmarshal(p.Data, &t)
	return t
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return &backstop.Error{Code: backstop.EINVALID, Message: "A policy's data is malformed: " + err.Error(), ZH: "政策数据格式有误"}
	}
	return nil
}
