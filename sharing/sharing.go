// Package sharing is the use case of departments sharing information
// (信息共享机制): the eight departments as organisations with their users
// (and so their API tokens), subscriptions by event type and region
// delivered as signed webhooks through the outbox (dispatch sends them,
// one after another per subscription, with retries), the events the
// system publishes, and the disaster information departments push in,
// recorded once per idempotency key.
package sharing

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Store is what sharing needs of storage.
type Store interface {
	backstop.SharingService
	FindWarning(ctx context.Context, id int64) (*backstop.Warning, error)
}

// Service runs the sharing use cases.
type Service struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// Home is the region events without one of their own concern (the
	// city backstop serves).
	Home string
	// Kick hands the batches an event wrote to the sender at once; nil
	// leaves them to the outbox sweep.
	Kick func(ctx context.Context, batches []backstop.OutboxBatch) error
	// Refer, when set, lands a push whose destination is a referral (a
	// civil affairs 低保/特困 change naming a person) in the screening
	// intake, as the department's referral; it returns the record it made
	// (intake:<id>). A push it cannot land stays a received record.
	Refer func(ctx context.Context, p *backstop.InboundPush) (string, error)
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

// OrganisationInput makes an organisation.
type OrganisationInput struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name,omitempty"`
	Region  string   `json:"region"`
	Contact string   `json:"contact"`
	Phone   string   `json:"phone,omitempty"`
	Members []string `json:"members,omitempty"`
}

// CreateOrganisation makes a department of a region.
func (s *Service) CreateOrganisation(ctx context.Context, in OrganisationInput) (*backstop.Organisation, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageOrgs); err != nil {
		return nil, err
	}
	kind, err := backstop.ParseDepartmentKind(in.Kind)
	if err != nil {
		return nil, err
	}
	region, err := backstop.NormalizeRegionCode(in.Region)
	if err != nil || backstop.LevelOfCode(region) > backstop.LevelCounty {
		return nil, backstop.Localized(backstop.EINVALID, "部门的区划须为市或县区代码，不能是“%s”", "An organisation's region is a city or county code, not %q.", in.Region)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = kind.Name().ZH
	}
	contact := strings.TrimSpace(in.Contact)
	if contact == "" {
		return nil, backstop.Localized(backstop.EINVALID, "请填写部门负责人姓名（每项任务须有明确责任人）", "Name the person responsible (every task has a named person).")
	}
	if utf8.RuneCountInString(name) > backstop.MaxOrgName || utf8.RuneCountInString(contact) > backstop.MaxOrgName {
		return nil, backstop.Localized(backstop.EINVALID, "部门名称和负责人姓名最多 %d 个字", "Name and contact have at most %d characters.", backstop.MaxOrgName)
	}
	phone := ""
	if in.Phone != "" {
		if phone, err = backstop.ValidatePhone(in.Phone); err != nil {
			return nil, err
		}
	}
	o := &backstop.Organisation{Kind: kind, Name: name, Region: region, Contact: contact, Phone: phone}
	if err := s.Store.CreateOrganisation(ctx, o); err != nil {
		return nil, err
	}
	if len(in.Members) > 0 {
		if o, err = s.SetMembers(ctx, o.ID, in.Members); err != nil {
			return nil, err
		}
	}
	return mask(o), nil
}

func mask(o *backstop.Organisation) *backstop.Organisation {
	o.Phone = backstop.MaskPhone(o.Phone)
	return o
}

// SetMembers replaces an organisation's users.
func (s *Service) SetMembers(ctx context.Context, id int64, users []string) (*backstop.Organisation, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageOrgs); err != nil {
		return nil, err
	}
	if len(users) > backstop.MaxOrgMembers {
		return nil, backstop.Localized(backstop.ETOOLARGE, "每个部门最多 %d 个成员", "An organisation has at most %d members.", backstop.MaxOrgMembers)
	}
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u] {
			return nil, backstop.Localized(backstop.EINVALID, "成员“%s”重复", "Member %s is listed twice.", u)
		}
		seen[u] = true
	}
	o, err := s.Store.SetMembers(ctx, id, users)
	if err != nil {
		return nil, err
	}
	return mask(o), nil
}

// own is the organisation of a department user; others have none.
func (s *Service) own(ctx context.Context, u *backstop.User) (*backstop.Organisation, error) {
	if u.Role != backstop.RoleDepartment {
		return nil, nil
	}
	o, err := s.Store.OrganisationOf(ctx, u.Name)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "您的账号尚未加入任何部门，请联系管理员", "Your account belongs to no organisation; ask an administrator.")
	}
	return o, err
}

// Organisations lists the organisations of the user's region.
func (s *Service) Organisations(ctx context.Context) ([]*backstop.Organisation, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadSharing); err != nil {
		return nil, err
	}
	out, err := s.Store.FindOrganisations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		mask(o)
	}
	return out, nil
}

// SubscriptionInput asks for events.
type SubscriptionInput struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
	Region string   `json:"region"`
	// Organisation is needed when an administrator subscribes for a
	// department; a department's user subscribes for its own.
	Organisation int64 `json:"organisation_id,omitempty"`
}

// Subscribe stores a subscription: events of the types given in the
// region, delivered to the URL signed with the secret (shown never again).
func (s *Service) Subscribe(ctx context.Context, in SubscriptionInput) (*backstop.Subscription, error) {
	u, err := backstop.Authorize(ctx, backstop.PermSubscribe)
	if err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	if n := len(in.Secret); n < backstop.MinSecretLength || n > backstop.MaxSecretLength {
		problems = append(problems, backstop.Problem{Path: "secret", Reason: fmt.Sprintf("%d to %d characters, not %d", backstop.MinSecretLength, backstop.MaxSecretLength, n),
			ReasonZH: fmt.Sprintf("签名密钥须为 %d 至 %d 个字符（现为 %d 个）", backstop.MinSecretLength, backstop.MaxSecretLength, n)})
	}
	if err := backstop.ValidateEvents(in.Events); err != nil {
		problems = append(problems, backstop.Problem{Path: "events", Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)})
	}
	region, rerr := backstop.NormalizeRegionCode(in.Region)
	if rerr != nil {
		problems = append(problems, backstop.Problem{Path: "region", Reason: "a region code of 6, 9 or 12 digits", ReasonZH: "区划代码须为 6、9 或 12 位数字"})
	}
	if strings.TrimSpace(in.URL) == "" {
		problems = append(problems, backstop.Problem{Path: "url", Reason: "the receiver's https URL is missing", ReasonZH: "请填写接收地址（https）"})
	}
	if len(problems) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The subscription has problems: " + problems[0].Path + ": " + problems[0].Reason + ".",
			ZH: "订阅有误：" + problems[0].ReasonZH, Details: problems}
	}
	if !u.InScope(region) {
		return nil, backstop.OutsideRegion(u, "订阅区划"+region, "the subscription's region "+region)
	}
	own, err := s.own(ctx, u)
	if err != nil {
		return nil, err
	}
	org := in.Organisation
	if own != nil {
		if org != 0 && org != own.ID {
			return nil, backstop.Localized(backstop.EFORBIDDEN, "只能为本部门订阅", "You may subscribe for your own organisation only.")
		}
		org = own.ID
	} else if org == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "请指明为哪个部门订阅（organisation_id）", "Name the organisation to subscribe for (organisation_id).")
	} else if _, err := s.Store.FindOrganisation(ctx, org); err != nil {
		return nil, err
	}
	sub := &backstop.Subscription{OrgID: org, URL: strings.TrimSpace(in.URL), Secret: in.Secret, Events: in.Events, Region: region}
	if err := s.Store.CreateSubscription(ctx, sub); err != nil {
		return nil, err
	}
	return s.Store.FindSubscription(backstop.NewContextWithUser(ctx, backstop.SystemUser("sharing")), sub.ID)
}

// Subscriptions lists subscriptions: the user's organisation's, or (for
// officers) those of an organisation (0: all in the region).
func (s *Service) Subscriptions(ctx context.Context, org int64) ([]*backstop.Subscription, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadSharing); err != nil {
		return nil, err
	}
	own, err := s.own(ctx, u)
	if err != nil {
		return nil, err
	}
	if own != nil {
		org = own.ID
	}
	return s.Store.FindSubscriptions(ctx, org)
}

// Subscription returns one the user may see: of its organisation, or of
// its region.
func (s *Service) Subscription(ctx context.Context, id int64) (*backstop.Subscription, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadSharing); err != nil {
		return nil, err
	}
	own, err := s.own(ctx, u)
	if err != nil {
		return nil, err
	}
	sub, err := s.Store.FindSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if own != nil && sub.OrgID != own.ID {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该订阅", EN: "The subscription"})
	}
	return sub, nil
}

// Deliveries pages a subscription's delivery log.
func (s *Service) Deliveries(ctx context.Context, id int64, offset, limit int) ([]*backstop.Delivery, int, error) {
	if _, err := s.Subscription(ctx, id); err != nil {
		return nil, 0, err
	}
	return s.Store.FindDeliveries(backstop.NewContextWithUser(ctx, backstop.SystemUser("sharing")), id, offset, limit)
}

// SetActive pauses or resumes a subscription the user manages.
func (s *Service) SetActive(ctx context.Context, id int64, active bool) (*backstop.Subscription, error) {
	u, err := backstop.Authorize(ctx, backstop.PermSubscribe)
	if err != nil {
		return nil, err
	}
	if _, err := s.Subscription(ctx, id); err != nil {
		return nil, backstop.NotInRegion(u, err, "订阅", "the subscription")
	}
	return s.Store.SetSubscriptionActive(backstop.NewContextWithUser(ctx, backstop.SystemUser("sharing")), id, active)
}

// envelope is a webhook's body.
type envelope struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Subject      string          `json:"subject"`
	OccurredAt   time.Time       `json:"occurred_at"`
	Regions      []string        `json:"regions"`
	Subscription int64           `json:"subscription"`
	Data         json.RawMessage `json:"data"`
}

// Envelope is what a receiver parses (for clients and tests).
type Envelope = envelope

func body(e *backstop.SharedEvent, sub *backstop.Subscription) (string, error) {
	b, err := json.Marshal(envelope{ID: fmt.Sprintf("evt-%d", e.ID), Type: e.Type, Subject: e.Subject, OccurredAt: e.OccurredAt.UTC(), Regions: e.Regions, Subscription: sub.ID, Data: e.Data})
	return string(b), err
}

// Publish records an event and writes it to every subscription that wants
// it (once per type and subject: publishing a source again sends
// nothing), then hands the deliveries to the sender.
func (s *Service) Publish(ctx context.Context, typ, subject string, regions []string, data any) error {
	if !slices.Contains(backstop.EventTypes, typ) {
		return backstop.Localized(backstop.EINVALID, "未知的事件类型“%s”", "Unknown event type %q.", typ)
	}
	if len(regions) == 0 && s.Home != "" {
		regions = []string{s.Home}
	}
	for i, r := range regions {
		code, err := backstop.NormalizeRegionCode(r)
		if err != nil {
			return backstop.Localized(backstop.EINVALID, "事件的区划代码“%s”有误", "The event's region code %q is wrong.", r)
		}
		regions[i] = code
	}
	if len(regions) == 0 {
		return backstop.Localized(backstop.EINVALID, "事件须有所涉区划", "An event needs the regions it concerns.")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	ctx = backstop.NewContextWithUser(context.WithoutCancel(ctx), backstop.SystemUser("sharing"))
	e := &backstop.SharedEvent{Type: typ, Subject: subject, Regions: regions, OccurredAt: s.now(), Data: raw}
	batches, err := s.Store.PublishEvent(ctx, e, body)
	if err != nil {
		return err
	}
	if len(batches) > 0 && s.Kick != nil {
		if err := s.Kick(ctx, batches); err != nil {
			// The outbox sweep finds them.
			s.logger().Warn("sharing: enqueue deliveries", "event", e.ID, "err", err)
		}
	}
	return nil
}
