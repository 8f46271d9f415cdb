package backstop

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Stream kinds: what a stream of outgoing messages is about.
const (
	StreamRelease = "release" // a targeted release of a warning
)

// Stream states.
const (
	StreamSending = "sending" // messages are going out
	StreamDone    = "done"    // every message has a final status
)

// Message states.
const (
	MessagePending   = "pending"   // to be sent (again, after a temporary failure)
	MessageSent      = "sent"      // the gateway accepted it
	MessageDelivered = "delivered" // the gateway reported delivery
	MessageFailed    = "failed"    // finally refused or undeliverable
	MessageSimulated = "simulated" // a test: recorded, never sent
)

// messageRank orders message states: a delivery report never moves a
// message back (a replayed "failed" after "delivered" changes nothing).
var messageRank = map[string]int{MessagePending: 0, MessageSent: 1, MessageFailed: 2, MessageDelivered: 3}

// MessageAdvances tells whether a message may go from state from to to.
func MessageAdvances(from, to string) bool {
	a, ok1 := messageRank[from]
	b, ok2 := messageRank[to]
	return ok1 && ok2 && b > a
}

// Message is one delivery to one address on one channel: a row of the
// outbox, in a stream (a release, a case …).
type Message struct {
	ID          int64      `json:"id"`
	StreamID    int64      `json:"stream_id"`
	Batch       int        `json:"batch"`
	Channel     string     `json:"channel"`
	Audience    string     `json:"audience"`
	Address     string     `json:"address"` // phone, e-mail, terminal group, robot key
	Name        string     `json:"name,omitempty"`
	HouseholdID int64      `json:"-"`
	VillageCode string     `json:"village_code,omitempty"`
	TextID      int64      `json:"-"`
	Key         string     `json:"key"` // idempotency key the gateway sees, the same on every resend
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	NextAt      time.Time  `json:"-"`
	Error       string     `json:"error,omitempty"`
	GatewayID   string     `json:"gateway_id,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	// Fallback says which earlier message this one stands in for.
	Fallback int64 `json:"fallback,omitempty"`
	// Text is filled in when the message is sent.
	Text string `json:"-"`
}

// LinkPlaceholder stands in a stored text for a helper's secret link:
// the link is made when the message is sent, so that only its hash is
// ever stored.
const LinkPlaceholder = "{link}"

// MessageKey is the idempotency key of a message.
func MessageKey(streamID, messageID int64) string {
	return "bst-" + strconv.FormatInt(streamID, 10) + "-" + strconv.FormatInt(messageID, 10)
}

// ParseMessageKey reads the stream and message ids of a key.
func ParseMessageKey(key string) (streamID, messageID int64, ok bool) {
	rest, ok := strings.CutPrefix(key, "bst-")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, 0, false
	}
	s, err1 := strconv.ParseInt(a, 10, 64)
	m, err2 := strconv.ParseInt(b, 10, 64)
	return s, m, err1 == nil && err2 == nil && s > 0 && m > 0
}

// MessageResult is the outcome of one send.
type MessageResult struct {
	ID                int64
	Channel, Audience string // of the message, for the stream's counts
	Status            string // sent, delivered (channels that confirm at once), failed, pending (retry)
	GatewayID         string
	Error             string
	At                time.Time
	NextAt            time.Time // when pending: the next attempt
}

// OutboxBatch names a batch of a stream's messages.
type OutboxBatch struct {
	StreamID int64
	Batch    int
}

// MessageCount is a number of messages by channel, audience and status.
type MessageCount struct {
	Channel  string `json:"channel"`
	Audience string `json:"audience"`
	Status   string `json:"status"`
	N        int    `json:"n"`
}

// OutboxService stores outgoing messages in streams and hands them to the
// senders in leased batches: a batch is leased by one process at a time; a
// lease that runs out (a killed process) makes the batch due again, and
// gateways drop what they have by the idempotency key.
type OutboxService interface {
	// DueBatches lists batches with messages due whose lease has run out.
	DueBatches(ctx context.Context, now time.Time, limit int) ([]OutboxBatch, error)
	// LeaseBatch takes a batch for owner until the given time and returns
	// its due messages with their texts; ECONFLICT when another owner
	// holds it.
	LeaseBatch(ctx context.Context, b OutboxBatch, owner string, now, until time.Time) ([]*Message, error)
	// RenewLease extends owner's lease of a batch; ECONFLICT when the
	// lease was lost.
	RenewLease(ctx context.Context, b OutboxBatch, owner string, until time.Time) error
	// FinishBatch records results and gives the lease back.
	FinishBatch(ctx context.Context, b OutboxBatch, owner string, results []MessageResult) error
	// ApplyReceipt records a gateway's delivery report for the message
	// with the idempotency key on the channel; ENOTFOUND for an unknown
	// key. A report never moves a message back; changed tells whether it
	// moved it at all (a replay does not).
	ApplyReceipt(ctx context.Context, channel, key, status, reason string, at time.Time) (m *Message, changed bool, err error)
	// AddMessages writes messages to a stream in a new batch due at once;
	// with dedupe, an address already messaged on the channel in the
	// stream is skipped. Messages with status simulated are only
	// recorded. It returns the batch and how many were written.
	AddMessages(ctx context.Context, streamID int64, channel, text string, ms []*Message, dedupe bool) (batch, written int, err error)
	// StreamCounts are a stream's messages by channel, audience and status.
	StreamCounts(ctx context.Context, streamID int64) ([]MessageCount, error)
}
