package channel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/egress"
)

// Headers of a subscription's webhook.
const (
	HeaderSignature = "X-Backstop-Signature" // sha256=<hex HMAC-SHA256 of the body with the secret>
	HeaderEvent     = "X-Backstop-Event"     // the event type
	HeaderDelivery  = "X-Backstop-Delivery"  // the delivery's id: the same on every retry, for dropping repeats
	HeaderTimestamp = "X-Backstop-Timestamp" // Unix seconds of this attempt
)

// Sign is the signature header value of a body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Subscriptions delivers departments' subscribed events to their URLs:
// the stored body, signed with the subscription's secret, with the event
// type, the delivery id and a timestamp in headers. 2xx is delivered
// (there are no receipts); a timeout, a refused connection, 408, 425, 429
// and 5xx are worth retrying; any other answer is final.
type Subscriptions struct {
	// HTTP must be egress-guarded (egress.Policy.Client): the URLs are
	// the departments'.
	HTTP *http.Client
	// Endpoint looks up the URL and secret of a message's stream.
	Endpoint func(ctx context.Context, streamID int64) (url, secret string, active bool, err error)
	Now      func() time.Time
}

// Channel is backstop.ChannelWebhook.
func (s *Subscriptions) Channel() string { return backstop.ChannelWebhook }

// Describe says what it does.
func (s *Subscriptions) Describe() string { return "departments' subscriptions (signed webhooks)" }

// Send posts one delivery.
func (s *Subscriptions) Send(ctx context.Context, m *backstop.Message) (Result, error) {
	url, secret, active, err := s.Endpoint(ctx, m.StreamID)
	if err != nil {
		return Result{}, temporary("subscription of stream %d: %v", m.StreamID, err)
	}
	if !active {
		return Result{}, permanent("the subscription is paused")
	}
	body := []byte(m.Text)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{}, permanent("bad URL: %v", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "backstop-webhooks/1")
	req.Header.Set(HeaderSignature, Sign(secret, body))
	req.Header.Set(HeaderEvent, m.Name)
	req.Header.Set(HeaderDelivery, m.Key)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now().Unix(), 10))
	resp, err := s.HTTP.Do(req)
	if egress.IsRefused(err) {
		// The URL (or where it now resolves) is forbidden: retrying
		// changes nothing.
		return Result{}, permanent("%v", err)
	} else if err != nil {
		return Result{}, temporary("%v", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return Result{Delivered: true, GatewayID: strconv.Itoa(c)}, nil
	case c == http.StatusRequestTimeout || c == http.StatusTooEarly || c == http.StatusTooManyRequests || c >= 500:
		return Result{}, temporary("HTTP %d", c)
	default:
		return Result{}, permanent("HTTP %d", c)
	}
}
