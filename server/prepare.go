package server

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assets"
	"github.com/zhangye-backstop/backstop/assist"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/insurance"
	"github.com/zhangye-backstop/backstop/officers"
	"github.com/zhangye-backstop/backstop/plans"
	"github.com/zhangye-backstop/backstop/projects"
	"github.com/zhangye-backstop/backstop/publicity"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/sharing"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// homeRegion is the region backstop serves (the CAP region, a city): the
// counties whose plans it opens every year, the region of events that
// name none.
func (s *Server) homeRegion() string {
	if code, err := backstop.NormalizeRegionCode(s.cfg.CAPRegion); err == nil {
		return code
	}
	return backstop.NationalScope
}

// prepare assembles the use cases of preparedness (issue 13): plans and
// their reminder clocks, departments' subscriptions (the webhook sender
// of the outbox, and the sources that publish to it).
func (s *Server) prepare(ctx context.Context, db *sqlstore.DB, cfg Config) error {
	logger := cfg.Logger
	docs := filepath.Join(cfg.DataDir, "documents")
	s.Plans = &plans.Service{Store: db, Clocks: s.Clocks, DocDir: docs, Logger: logger}
	s.Clocks.Register(backstop.ClockPlanDue, s.Plans.Remind)

	s.Officers = &officers.Service{Store: db}
	s.Insurance = &insurance.Service{Store: db}
	s.Assets = &assets.Service{Store: db}
	s.Publicity = &publicity.Service{Store: db}
	s.Projects = &projects.Service{Store: db, Clocks: s.Clocks, Logger: logger}
	s.Clocks.Register(backstop.ClockProjectStep, s.Projects.StepOverdue)

	home := s.homeRegion()
	if home == backstop.NationalScope {
		home = ""
	}
	s.Sharing = &sharing.Service{Store: db, Logger: logger, Home: home, Kick: func(ctx context.Context, batches []backstop.OutboxBatch) error {
		if s.Dispatch.Enqueue == nil {
			return nil // no queue (tests, the CLI): the sweep sends them
		}
		return s.Dispatch.Enqueue(ctx, batches)
	}}
	timeout := cfg.WebhookTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if s.Dispatch.Senders == nil {
		s.Dispatch.Senders = map[string]channel.Sender{}
	}
	if _, ok := s.Dispatch.Senders[backstop.ChannelWebhook]; !ok {
		s.Dispatch.Senders[backstop.ChannelWebhook] = &channel.Subscriptions{HTTP: cfg.Outbound.Client(timeout), Endpoint: db.SubscriptionEndpoint, Now: s.Dispatch.Now}
	}
	s.Sharing.Refer = s.referPush
	s.Alerting.Stored = s.Sharing.WarningStored
	s.Dispatch.Released = s.Sharing.ReleaseCreated
	s.Screening.EventOpened = s.Sharing.EventStored
	s.Screening.LossVerified = s.Sharing.LossReportStored
	// A payout the insurer recorded is the household's 理赔收入.
	s.Screening.ClaimIncome = s.Insurance.ClaimIncome
	// Relief granted (临时救助, basic-living relief) is transfer income.
	s.Assist = &assist.Service{Store: db, Clocks: s.Clocks, Logger: logger}
	s.Screening.ReliefIncome = s.Assist.ReliefIncome
	// The plan's deadlines escalate as a case's overdue step does.
	s.Clocks.Register(assist.ClockReferralAnswer, s.Assist.ReferralOverdue)
	s.Clocks.Register(backstop.ClockWaterRepair, s.Assist.RepairOverdue)
	return nil
}

// openPlanYears makes the plan rows and reminder clocks of the coming year
// for the home region's counties (kept when they exist). This year's are
// opened by the counties themselves: a deployment started mid-year does
// not text every county that its plan is late.
func (s *Server) openPlanYears(ctx context.Context) error {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("plans"))
	_, err := s.Plans.EnsureYear(ctx, s.homeRegion(), time.Now().In(backstop.Beijing).Year()+1)
	return err
}

// referPush lands a civil affairs push (a 低保 or 特困 change naming a
// person of a village: name, id_number, reason, phone and risk_type
// optional) in the screening intake as the department's referral.
func (s *Server) referPush(ctx context.Context, p *backstop.InboundPush) (string, error) {
	var d struct {
		Name     string `json:"name"`
		IDNumber string `json:"id_number"`
		Phone    string `json:"phone"`
		Reason   string `json:"reason"`
		Change   string `json:"change"`
		RiskType string `json:"risk_type"`
	}
	if err := json.Unmarshal(p.Data, &d); err != nil {
		return "", err
	}
	if d.Name == "" || d.IDNumber == "" || backstop.LevelOfCode(p.Region) != backstop.LevelVillage {
		return "", backstop.Localized(backstop.EINVALID, "报送未写明村、姓名和身份证号，暂不能转为部门线索", "The push names no village, name and ID number: it cannot become a referral.")
	}
	reason := d.Reason
	if reason == "" {
		reason = d.Change
	}
	if reason == "" {
		reason = map[backstop.PushKind]string{backstop.PushDibao: "低保变动", backstop.PushTekun: "特困变动"}[p.Kind]
	}
	it, _, err := s.Screening.Refer(ctx, screening.Referral{Department: "civil_affairs", Village: p.Region, Name: d.Name, IDNumber: d.IDNumber, Phone: d.Phone, Reason: reason, RiskType: d.RiskType})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("intake:%d", it.ID), nil
}
