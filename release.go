package backstop

import (
	"context"
	"slices"
	"time"
)

// Audiences of a targeted release (精准发布): rules over a warning's
// exposure result.
const (
	AudienceHouseholds  = "households"  // every exposed household with a phone
	AudienceKeyGroups   = "key_groups"  // key-group persons, first
	AudienceHelpers     = "helpers"     // the assigned helper of every exposed key household
	AudienceVillages    = "villages"    // each affected village's loudspeaker and cadres
	AudienceOfficers    = "officers"    // township and county duty officers, duty groups
	AudienceSubscribers = "subscribers" // departments and information officers subscribed to the hazard and region
)

// Audiences lists them in priority order: a person reached under an
// earlier audience is not messaged again on the same channel.
var Audiences = []string{AudienceKeyGroups, AudienceHelpers, AudienceHouseholds, AudienceVillages, AudienceOfficers, AudienceSubscribers}

// Channels of delivery.
const (
	ChannelSMS       = "sms"
	ChannelWeCom     = "wecom"     // 企业微信 group robots of duty groups
	ChannelBroadcast = "broadcast" // 农村应急广播: village loudspeakers
	ChannelEmail     = "email"
)

// Channels lists every channel.
var Channels = []string{ChannelSMS, ChannelWeCom, ChannelBroadcast, ChannelEmail}

// audienceChannels are the channels each audience is reached on.
var audienceChannels = map[string][]string{
	AudienceKeyGroups:   {ChannelSMS},
	AudienceHelpers:     {ChannelSMS},
	AudienceHouseholds:  {ChannelSMS},
	AudienceVillages:    {ChannelBroadcast, ChannelSMS},
	AudienceOfficers:    {ChannelSMS, ChannelEmail, ChannelWeCom},
	AudienceSubscribers: {ChannelSMS, ChannelEmail},
}

// UnusedChannels lists the channels of a request that none of its
// audiences is reached on: choosing 企业微信 without the officers sends
// nothing on it, and the release must say so rather than stay silent.
func UnusedChannels(audiences, channels []string) []string {
	var out []string
	for _, ch := range channels {
		used := false
		for _, a := range audiences {
			used = used || slices.Contains(audienceChannels[a], ch)
		}
		if !used {
			out = append(out, ch)
		}
	}
	return out
}

// KeyGroups are the groups whose people get a last-mile confirmation task
// and messages first (重点人群).
const KeyGroups = GroupTekun | GroupDisability | GroupElderlyAlone | GroupMonitored | GroupDibao | GroupFormerlyPoor

// Release is one targeted release of a warning: who it goes to, over
// which channels, and with what text.
type Release struct {
	ID         int64    `json:"id"`
	StreamID   int64    `json:"stream_id"`
	WarningID  int64    `json:"warning_id"`
	SnapshotID int64    `json:"snapshot_id"` // the exposure it was made from
	Audiences  []string `json:"audiences"`
	Channels   []string `json:"channels"`
	TemplateID int64    `json:"template_id,omitempty"`
	Text       string   `json:"text"` // the rendered public text
	Test       bool     `json:"test"` // nothing reaches a gateway
	// State is its stream's: sending until every message is final.
	State    string    `json:"state"`
	Basis    string    `json:"basis"` // why it was allowed: approved consultation, red/orange first
	Deadline time.Time `json:"confirm_deadline"`
	// PolicyIDs are the policy versions it used (confirmation clocks).
	PolicyIDs []int64 `json:"policy_ids"`
	Counts    []Count `json:"counts"` // planned messages per audience and channel
	// Unused are the channels chosen that no chosen audience is reached on.
	Unused    []string  `json:"unused_channels,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Count is a number of messages for an audience on a channel.
type Count struct {
	Audience string `json:"audience"`
	Channel  string `json:"channel"`
	N        int    `json:"n"`
}

// ReleaseStats are a release's dashboard figures.
type ReleaseStats struct {
	ReleaseID int64 `json:"release_id"`
	// ByChannel counts messages per channel, audience and status.
	Messages []MessageCount `json:"messages"`
	// FirstDelivered and NinetyDelivered are seconds from the release to
	// the first and to 90 % of the messages delivered (or accepted, on
	// channels without receipts); nil while not reached.
	FirstDelivered  *float64   `json:"first_delivered_seconds,omitempty"`
	NinetyDelivered *float64   `json:"ninety_percent_delivered_seconds,omitempty"`
	Tasks           TaskCounts `json:"tasks"`
	// Villages lists per village the key-group persons and how many were
	// confirmed, for the map.
	Villages   []VillageConfirmation `json:"villages"`
	ComputedAt time.Time             `json:"computed_at"`
}

// FailedMessage is a message that failed, with the gateway's reason, for
// the dashboard's list of failures no confirmation task follows up.
type FailedMessage struct {
	ID       int64  `json:"id"`
	Channel  string `json:"channel"`
	Audience string `json:"audience"`
	Name     string `json:"name"`
	Address  string `json:"address"` // masked
	Village  string `json:"village_code"`
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts"`
}

// TaskCounts sum confirmation tasks.
type TaskCounts struct {
	Total       int `json:"total"`
	Confirmed   int `json:"confirmed"` // reached by any means
	Unreachable int `json:"unreachable"`
	Open        int `json:"open"`
	Overdue     int `json:"overdue"` // open past the deadline
	Escalated   int `json:"escalated"`
}

// VillageConfirmation is one village's confirmation rate.
type VillageConfirmation struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Total     int    `json:"total"`
	Confirmed int    `json:"confirmed"`
}

// ReleaseFilter selects releases for the release list.
type ReleaseFilter struct {
	WarningID int64
	State     string // sending or done; "" for both
	// Test: "only" for test releases, "none" without them, "" for all.
	Test   string
	Offset int
	Limit  int
}

// ExposedRecipient is an exposed household as a release reads it: where
// to reach it, its key people and its helper.
type ExposedRecipient struct {
	HouseholdID int64
	Rank        int // in the exposure's ranked list, 1 = most vulnerable
	Number      string
	VillageCode string
	Groups      Group // stored groups plus elderly-alone
	HeadName    string
	Phone       string
	HelperName  string
	HelperPhone string
	Members     []RecipientMember // read for key-group households only
}

// RecipientMember is a member of an exposed household.
type RecipientMember struct {
	ID       int64
	Name     string
	Phone    string
	Disabled bool
}

// ReleaseWriter takes a release's messages and tasks inside the
// transaction that stores the release: the outbox is written with it,
// all or nothing.
type ReleaseWriter interface {
	// AddText stores a message text and returns its id.
	AddText(ctx context.Context, channel, text string) (int64, error)
	AddMessages(ctx context.Context, ms []*Message) error
	AddTasks(ctx context.Context, ts []*FieldTask) error
}

// ReleaseService stores releases; their messages are in the outbox, their
// confirmation tasks are field tasks, their deadline is a clock.
type ReleaseService interface {
	// ScanExposedRecipients streams a snapshot's households, each with its
	// rank, phones and helper, and the members of those in a key group (the
	// only ones whose people get messages and tasks), in storage order (not
	// rank order),
	// within the user's region: a county officer's release reaches the
	// county.
	ScanExposedRecipients(ctx context.Context, snapshotID int64, fn func(*ExposedRecipient) error) error
	// CreateRelease stores r with its stream (its helpers' links expiring
	// at linksExpire), its confirmation clock c (subject and region set
	// here) and what fill writes, in one transaction.
	CreateRelease(ctx context.Context, r *Release, linksExpire time.Time, c *Clock, fill func(ReleaseWriter) error) error
	FindRelease(ctx context.Context, id int64) (*Release, error)
	FindReleaseByStream(ctx context.Context, streamID int64) (*Release, error)
	FindReleases(ctx context.Context, warningID int64) ([]*Release, error)
	// FindReleasePage pages releases across warnings, newest first, with
	// their total. Outside the national scope only releases with
	// confirmation tasks in the user's region are listed.
	FindReleasePage(ctx context.Context, f ReleaseFilter) ([]*Release, int, error)
	ReleaseStats(ctx context.Context, id int64) (*ReleaseStats, error)
	// UntaskedFailures lists a release's failed messages that no
	// confirmation task follows up, with their reasons, in the user's
	// region: up to limit, and how many there are.
	UntaskedFailures(ctx context.Context, releaseID int64, limit int) ([]*FailedMessage, int, error)
}
