package backstop

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Departments sharing information (信息共享机制, notice 三(一)): the eight
// departments of the notice are organisations with users and API tokens;
// they subscribe to events by type and region and get them as signed
// webhooks through the outbox, and push their own disaster information in.

// DepartmentKind is one of the eight departments of the notice.
type DepartmentKind string

// The eight departments.
const (
	DeptRural      DepartmentKind = "rural_revitalisation" // 乡村振兴局
	DeptCivil      DepartmentKind = "civil_affairs"        // 民政局
	DeptFinance    DepartmentKind = "finance"              // 财政局
	DeptResources  DepartmentKind = "natural_resources"    // 自然资源局
	DeptHousing    DepartmentKind = "housing"              // 住房和城乡建设局
	DeptWater      DepartmentKind = "water"                // 水务局
	DeptEmergency  DepartmentKind = "emergency"            // 应急管理局
	DeptMeteorolog DepartmentKind = "meteorology"          // 气象局
)

// DepartmentKinds lists them in the order the notice signs.
var DepartmentKinds = []DepartmentKind{DeptRural, DeptCivil, DeptFinance, DeptResources, DeptHousing, DeptWater, DeptEmergency, DeptMeteorolog}

var departmentNames = map[DepartmentKind]Named{
	DeptRural: {"乡村振兴局", "rural revitalisation bureau"}, DeptCivil: {"民政局", "civil affairs bureau"}, DeptFinance: {"财政局", "finance bureau"},
	DeptResources: {"自然资源局", "natural resources bureau"}, DeptHousing: {"住房和城乡建设局", "housing and urban-rural development bureau"},
	DeptWater: {"水务局", "water bureau"}, DeptEmergency: {"应急管理局", "emergency management bureau"}, DeptMeteorolog: {"气象局", "meteorological bureau"},
}

// Name is the department's name in both languages.
func (k DepartmentKind) Name() Named {
	if n, ok := departmentNames[k]; ok {
		return n
	}
	return Named{string(k), string(k)}
}

// ParseDepartmentKind checks a department kind.
func ParseDepartmentKind(s string) (DepartmentKind, error) {
	if k := DepartmentKind(s); slices.Contains(DepartmentKinds, k) {
		return k, nil
	}
	names := make([]string, len(DepartmentKinds))
	for i, k := range DepartmentKinds {
		names[i] = string(k)
	}
	return "", Localized(EINVALID, "部门类别“%s”不是八个部门之一（%s）", "Department kind %q is not one of the eight (%s).", s, strings.Join(names, ", "))
}

// Organisation is a department of a region (the city's or a county's),
// with its users (members) and, through them, API tokens.
type Organisation struct {
	ID     int64          `json:"id"`
	Kind   DepartmentKind `json:"kind"`
	Name   string         `json:"name"`
	Region string         `json:"region"` // what it covers: its pushes and subscriptions lie inside
	// Contact is the named person responsible for what the department
	// shares (every task has a named person); Phone is masked in answers.
	Contact   string    `json:"contact"`
	Phone     string    `json:"phone,omitempty"`
	Members   []string  `json:"members"` // user names
	CreatedAt time.Time `json:"created_at"`
}

// Organisation limits.
const (
	MaxOrgName    = 100
	MaxOrgMembers = 200
)

// Event types a subscription may ask for.
const (
	EventWarningIngested    = "warning.ingested"
	EventWarningUpdated     = "warning.updated"
	EventReleaseCreated     = "release.created"
	EventEventOpened        = "event.opened"
	EventLossReportVerified = "loss_report.verified"
	EventCaseOpened         = "case.opened"
	EventCaseCleared        = "case.cleared"
)

// EventTypes lists them.
var EventTypes = []string{EventWarningIngested, EventWarningUpdated, EventReleaseCreated, EventEventOpened, EventLossReportVerified, EventCaseOpened, EventCaseCleared}

// SharedEvent is one thing that happened that departments may subscribe
// to. It is recorded once per type and subject (a replay of the same
// source publishes nothing new) and delivered to every matching
// subscription in order.
type SharedEvent struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	// Subject names what it is about, e.g. warning:12; with the type it is
	// unique.
	Subject string `json:"subject"`
	// Regions are the 12-digit codes it concerns: a subscription matches
	// when its region and one of these lie one inside the other.
	Regions    []string        `json:"regions"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// Concerns tells whether an event concerns a region: one of its regions
// lies inside the region or contains it (a city-wide warning concerns a
// county's subscriber; a village's case concerns the county's).
func (e *SharedEvent) Concerns(region string) bool {
	for _, r := range e.Regions {
		if CodeWithin(r, region) || CodeWithin(region, r) {
			return true
		}
	}
	return false
}

// StreamSubscription is the kind of a subscription's outbox stream:
// its messages go out one after another, never two at once, in the order
// they were written.
const StreamSubscription = "subscription"

// ChannelWebhook delivers a subscription's events to its URL, signed.
const ChannelWebhook = "webhook"

// Subscription is a department's standing request for events of some
// types in a region, delivered to its URL.
type Subscription struct {
	ID       int64    `json:"id"`
	OrgID    int64    `json:"organisation_id"`
	OrgName  string   `json:"organisation,omitempty"`
	URL      string   `json:"url"`
	Events   []string `json:"events"`
	Region   string   `json:"region"`
	Active   bool     `json:"active"`
	StreamID int64    `json:"-"`
	// Secret signs the bodies (HMAC-SHA256); it is only ever shown as its
	// last four characters (SecretHint).
	Secret     string    `json:"-"`
	SecretHint string    `json:"secret_hint"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	// Counts are its deliveries by status.
	Counts map[string]int `json:"counts,omitempty"`
}

// Subscription limits.
const (
	MinSecretLength  = 16
	MaxSecretLength  = 256
	MaxSubscriptions = 50 // per organisation
)

// Wants tells whether a subscription takes an event.
func (s *Subscription) Wants(e *SharedEvent) bool {
	return s.Active && slices.Contains(s.Events, e.Type) && e.Concerns(s.Region)
}

// ValidateEvents checks a subscription's event types.
func ValidateEvents(events []string) error {
	if len(events) == 0 {
		return Localized(EINVALID, "请至少选择一种事件类型（%s）", "Choose at least one event type (%s).", strings.Join(EventTypes, ", "))
	}
	seen := map[string]bool{}
	for i, e := range events {
		if !slices.Contains(EventTypes, e) {
			return &Error{Code: EINVALID, Message: "Unknown event type " + e + " (known: " + strings.Join(EventTypes, ", ") + ").",
				ZH:      "未知的事件类型“" + e + "”（可选：" + strings.Join(EventTypes, "、") + "）",
				Details: []Problem{{Path: "events[" + strconv.Itoa(i) + "]", Reason: "unknown event type", ReasonZH: "未知的事件类型"}}}
		}
		if seen[e] {
			return Localized(EINVALID, "事件类型“%s”重复", "Event type %s is listed twice.", e)
		}
		seen[e] = true
	}
	return nil
}

// Delivery is one attempt history of one event to one subscription: a
// message of the subscription's stream.
type Delivery struct {
	ID          int64      `json:"id"`
	Key         string     `json:"key"` // X-Backstop-Delivery: the same on every retry
	Event       string     `json:"event"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	Error       string     `json:"error,omitempty"`
	NextAt      *time.Time `json:"next_at,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// PushKind is what a department pushes in.
type PushKind string

// Push kinds and the departments that push them.
const (
	PushLosses      PushKind = "losses"       // emergency management: losses by household or village
	PushRelocations PushKind = "relocations"  // emergency management: people moved to safety
	PushWaterOutage PushKind = "water_outage" // water: supply outages
	PushHouseDamage PushKind = "house_damage" // housing: house damage
	PushDibao       PushKind = "dibao_change" // civil affairs: 低保 changes
	PushTekun       PushKind = "tekun_change" // civil affairs: 特困 changes
)

// PushKinds are the kinds each department may push.
var PushKinds = map[DepartmentKind][]PushKind{
	DeptEmergency: {PushLosses, PushRelocations},
	DeptWater:     {PushWaterOutage},
	DeptHousing:   {PushHouseDamage},
	DeptCivil:     {PushDibao, PushTekun},
}

// Where pushes land: a loss report draft of the household, a referral
// (低保/特困), a figure of a disaster event. Until the screening types
// are on main a push is a generic inbound record naming its destination.
const (
	DestLossReport  = "loss_report"
	DestReferral    = "referral"
	DestEventFigure = "event_figure"
)

// PushDestination is where a push of a kind lands.
func PushDestination(k PushKind) string {
	switch k {
	case PushLosses, PushHouseDamage:
		return DestLossReport
	case PushDibao, PushTekun:
		return DestReferral
	}
	return DestEventFigure
}

// InboundPush is one piece of disaster information a department pushed,
// recorded once per idempotency key and organisation.
type InboundPush struct {
	ID     int64    `json:"id"`
	OrgID  int64    `json:"organisation_id"`
	Key    string   `json:"key"`
	Kind   PushKind `json:"kind"`
	Region string   `json:"region"`
	// Household is the 户编号 a household-level push names, if any.
	Household   string          `json:"household,omitempty"`
	Data        json.RawMessage `json:"data"`
	BodySHA256  string          `json:"-"`
	Destination string          `json:"destination"`
	// State: received (a generic record, waiting for its destination's
	// type), routed (landed; Target names the record).
	State      string    `json:"state"`
	Target     string    `json:"target,omitempty"`
	Assignee   string    `json:"assignee"` // the named person who handles it
	ReceivedAt time.Time `json:"received_at"`
	PushedBy   string    `json:"pushed_by"`
	// Replayed tells an answer to a push whose key was seen before.
	Replayed bool `json:"replayed,omitempty"`
}

// Push limits.
const (
	MaxPushKey   = 128
	MaxPushBytes = 64 << 10 // the data of one push
)

// SharingService stores organisations, subscriptions, events and pushes.
type SharingService interface {
	CreateOrganisation(ctx context.Context, o *Organisation) error
	FindOrganisations(ctx context.Context) ([]*Organisation, error)
	FindOrganisation(ctx context.Context, id int64) (*Organisation, error)
	// SetMembers replaces an organisation's members (users of role
	// department inside its region).
	SetMembers(ctx context.Context, orgID int64, users []string) (*Organisation, error)
	// OrganisationOf is the organisation a user belongs to; ENOTFOUND for
	// a user of none.
	OrganisationOf(ctx context.Context, user string) (*Organisation, error)
	// CreateSubscription stores a subscription with its outbox stream.
	CreateSubscription(ctx context.Context, s *Subscription) error
	FindSubscriptions(ctx context.Context, orgID int64) ([]*Subscription, error)
	FindSubscription(ctx context.Context, id int64) (*Subscription, error)
	SetSubscriptionActive(ctx context.Context, id int64, active bool) (*Subscription, error)
	// SubscriptionEndpoint is what the webhook sender needs of a stream:
	// the URL and the secret of its subscription.
	SubscriptionEndpoint(ctx context.Context, streamID int64) (url, secret string, active bool, err error)
	// PublishEvent records an event once per type and subject and writes
	// one delivery to every active subscription that wants it, in one
	// transaction; it returns the batches to send (none for a replay).
	PublishEvent(ctx context.Context, e *SharedEvent, body func(e *SharedEvent, s *Subscription) (string, error)) ([]OutboxBatch, error)
	FindDeliveries(ctx context.Context, subscriptionID int64, offset, limit int) ([]*Delivery, int, error)
	// RecordPush stores a push once per organisation and key: a replay
	// with the same body returns the stored record (Replayed); another
	// body under a used key is ECONFLICT.
	RecordPush(ctx context.Context, p *InboundPush) (*InboundPush, error)
	FindPushes(ctx context.Context, orgID int64, kind PushKind, offset, limit int) ([]*InboundPush, int, error)
	// RoutePush records that a received push landed as target (e.g.
	// intake:12), by compare-and-set on received.
	RoutePush(ctx context.Context, id int64, target string) error
}
