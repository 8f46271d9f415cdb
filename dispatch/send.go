package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
)

// SendBatch sends a batch's due messages if this process can lease it.
// The lease is renewed while the batch is sent, so that a batch of a
// process that died is due again a lease's time later, not a long run's.
func (s *Service) SendBatch(ctx context.Context, b backstop.OutboxBatch) error {
	s.defaults()
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch"))
	start := s.now()
	msgs, err := s.Store.LeaseBatch(ctx, b, s.Owner, start, start.Add(s.Lease))
	if backstop.ErrorCode(err) == backstop.ECONFLICT {
		return nil
	} else if err != nil {
		return err
	}
	if err := s.fillLinks(ctx, b.StreamID, msgs); err != nil {
		s.Store.FinishBatch(context.WithoutCancel(ctx), b, s.Owner, nil)
		return err
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-sendCtx.Done():
				return
			case <-t.C:
				if err := s.Store.RenewLease(sendCtx, b, s.Owner, s.now().Add(s.Lease)); err != nil {
					if sendCtx.Err() == nil {
						// Lost the lease: stop taking messages; what was sent
						// is recorded, the rest goes to the new holder.
						s.logger().Warn("dispatch lease lost", "stream", b.StreamID, "batch", b.Batch, "err", err)
						stopSending()
					}
					return
				}
			}
		}
	}()
	stopAt := time.Now().Add(s.MaxRun)
	results := make([]backstop.MessageResult, len(msgs))
	done := make([]bool, len(msgs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(s.Concurrency, len(msgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], done[i] = s.send(ctx, msgs[i]), true
			}
		}()
	}
	for i := range msgs {
		if sendCtx.Err() != nil || time.Now().After(stopAt) {
			break // the rest stay due for the next run
		}
		next <- i
	}
	close(next)
	wg.Wait()
	stopSending()
	<-renewed
	var finished []backstop.MessageResult
	var failed []*backstop.Message
	for i, ok := range done {
		if !ok || ctx.Err() != nil && results[i].Status == backstop.MessagePending {
			continue
		}
		finished = append(finished, results[i])
		if results[i].Status == backstop.MessageFailed {
			failed = append(failed, msgs[i])
		}
	}
	if err := s.Store.FinishBatch(context.WithoutCancel(ctx), b, s.Owner, finished); err != nil {
		return err
	}
	s.fallback(ctx, failed)
	return nil
}

// fillLinks puts a fresh link into each message that carries the link
// placeholder: the token exists only in what is sent; the store keeps its
// hash. A resend gets a new token, and the gateway's copy of the first (a
// resend it drops by key) stays valid too.
func (s *Service) fillLinks(ctx context.Context, streamID int64, msgs []*backstop.Message) error {
	var phones []string
	for _, m := range msgs {
		if strings.Contains(m.Text, backstop.LinkPlaceholder) {
			phones = append(phones, m.Address)
		}
	}
	if len(phones) == 0 {
		return nil
	}
	tokens, err := s.Store.MintLinks(ctx, streamID, phones)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if t, ok := tokens[m.Address]; ok && strings.Contains(m.Text, backstop.LinkPlaceholder) {
			m.Text = strings.ReplaceAll(m.Text, backstop.LinkPlaceholder, t)
		}
	}
	return nil
}

// send delivers one message and says what became of it.
func (s *Service) send(ctx context.Context, m *backstop.Message) backstop.MessageResult {
	res := backstop.MessageResult{ID: m.ID, Channel: m.Channel, Audience: m.Audience}
	sender, ok := s.Senders[m.Channel]
	if !ok {
		res.Status, res.Error, res.At = backstop.MessageFailed, "channel "+m.Channel+" is not configured", s.now()
		return res
	}
	out, err := sender.Send(ctx, m)
	res.At = s.now()
	attempts, longest := s.retryRule(ctx, m.Channel)
	switch {
	case err == nil && out.Delivered:
		res.Status, res.GatewayID = backstop.MessageDelivered, out.GatewayID
	case err == nil:
		res.Status, res.GatewayID = backstop.MessageSent, out.GatewayID
	case channel.IsTemporary(err) && m.Attempts+1 < attempts:
		res.Status, res.Error, res.NextAt = backstop.MessagePending, err.Error(), res.At.Add(wait(m.Attempts+1, longest))
	default:
		res.Status, res.Error = backstop.MessageFailed, err.Error()
		if channel.IsTemporary(err) {
			res.Error = fmt.Sprintf("gave up after %d attempts: %v", m.Attempts+1, err)
		}
	}
	return res
}

// fallback tries the next way to reach the people whose SMS failed (the
// messages of one batch): a call by the helper when the person has a
// confirmation task, else the village loudspeaker.
func (s *Service) fallback(ctx context.Context, failed []*backstop.Message) {
	var households []backstop.HouseholdAt
	var ms []*backstop.Message
	for _, m := range failed {
		if m.Channel == backstop.ChannelSMS && (m.Audience == backstop.AudienceKeyGroups || m.Audience == backstop.AudienceHouseholds) && m.HouseholdID != 0 {
			// The persons whose task names this number were not reached;
			// the household's others got theirs.
			households = append(households, backstop.HouseholdAt{ID: m.HouseholdID, Village: m.VillageCode, Phone: m.Address})
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return
	}
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch"))
	streamID := ms[0].StreamID
	called, err := s.Store.RequestCalls(ctx, streamID, households)
	if err != nil {
		s.logger().Error("fallback: request calls", "stream", streamID, "err", err)
		return
	}
	if len(called) > 0 {
		s.logger().Info("fallback: helpers asked to call", "stream", streamID, "households", len(called))
	}
	villages := map[string]int64{}
	var order []string
	for _, m := range ms {
		if called[m.HouseholdID] == 0 && m.VillageCode != "" {
			if _, ok := villages[m.VillageCode]; !ok {
				villages[m.VillageCode] = m.ID
				order = append(order, m.VillageCode)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	if _, ok := s.Senders[backstop.ChannelBroadcast]; !ok {
		s.logger().Warn("fallback: no loudspeaker channel configured", "stream", streamID, "villages", len(order))
		return
	}
	for _, v := range order {
		s.broadcastVillage(ctx, streamID, v, villages[v])
	}
}

// broadcastVillage sends the public text of a release's stream to a
// village's loudspeaker, once per release.
func (s *Service) broadcastVillage(ctx context.Context, streamID int64, village string, instead int64) {
	if _, ok := s.Senders[backstop.ChannelBroadcast]; !ok || village == "" {
		s.logger().Warn("fallback: no loudspeaker channel configured", "stream", streamID, "village", village)
		return
	}
	r, err := s.Store.FindReleaseByStream(ctx, streamID)
	if err != nil {
		s.logger().Error("fallback: release", "stream", streamID, "err", err)
		return
	}
	address := village
	if cs, err := s.Store.ContactsFor(ctx, []string{village}); err == nil {
		for _, c := range cs {
			if c.Kind == backstop.ContactBroadcast && c.Region == village {
				address = c.Address
				break
			}
		}
	}
	m := &backstop.Message{Channel: backstop.ChannelBroadcast, Audience: backstop.AudienceVillages, Address: address, VillageCode: village, Fallback: instead, NextAt: s.now()}
	if r.Test {
		m.Status = backstop.MessageSimulated
	}
	batch, n, err := s.Store.AddMessages(ctx, streamID, backstop.ChannelBroadcast, r.Text, []*backstop.Message{m}, true)
	if err != nil {
		s.logger().Error("fallback: broadcast", "stream", streamID, "err", err)
		return
	}
	if n > 0 && !r.Test {
		s.logger().Info("fallback: village loudspeaker", "release", r.ID, "village", village)
		s.kickBatch(ctx, streamID, batch)
	}
}

// kickBatch hands a batch written after the fact to the queue at once (the
// sweep would find it a moment later).
func (s *Service) kickBatch(ctx context.Context, streamID int64, batch int) {
	if s.Enqueue != nil {
		if err := s.Enqueue(context.WithoutCancel(ctx), []backstop.OutboxBatch{{StreamID: streamID, Batch: batch}}); err != nil {
			s.logger().Warn("enqueue follow-up", "stream", streamID, "err", err)
		}
	}
}

// HandleReceipt applies a delivery report from a gateway of channel and
// falls back when it says a message failed (once: a replay changes
// nothing).
func (s *Service) HandleReceipt(ctx context.Context, channel, key, status, reason string, at time.Time) error {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("receipts"))
	m, changed, err := s.Store.ApplyReceipt(ctx, channel, key, status, reason, at)
	if err != nil {
		return err
	}
	if changed && status == backstop.MessageFailed {
		s.fallback(ctx, []*backstop.Message{m})
	}
	return nil
}

// Confirm records a confirmation; a person nobody could reach is told by
// the village loudspeaker.
func (s *Service) Confirm(ctx context.Context, id int64, outcome, note, by string) (*backstop.FieldTask, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermConfirm); err != nil {
		return nil, err
	}
	t, err := s.Store.ConfirmTask(ctx, id, outcome, note, by)
	if err != nil {
		return nil, err
	}
	if outcome == backstop.NotReachable {
		s.broadcastVillage(backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch")), t.StreamID, t.VillageCode, 0)
	}
	return t, nil
}

// Sweep hands every due batch to the queue (or sends them here without
// one): batches of a release whose process died, retries whose backoff
// is over, follow-ups.
func (s *Service) Sweep(ctx context.Context) error {
	s.defaults()
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch"))
	due, err := s.Store.DueBatches(ctx, s.now(), 1000)
	if err != nil || len(due) == 0 {
		return err
	}
	if s.Enqueue != nil {
		return s.Enqueue(ctx, due)
	}
	for _, b := range due {
		if err := s.SendBatch(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// TestResult is what a test send came to.
type TestResult struct {
	Channel   string `json:"channel"`
	Accepted  bool   `json:"accepted"`
	GatewayID string `json:"gateway_id,omitempty"`
	Error     string `json:"error,omitempty"`
	Key       string `json:"key"`
}

// TestSend sends one test message straight to an address, for checking a
// channel's configuration; it is audited, outside any release.
func (s *Service) TestSend(ctx context.Context, ch, address, text string) (*TestResult, error) {
	s.defaults()
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermManageChannel); err != nil {
		return nil, err
	}
	sender, ok := s.Senders[ch]
	if !ok {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "渠道%s未配置", "Channel %s is not configured.", backstop.Term(backstop.TermChannel, ch))
	}
	if strings.TrimSpace(address) == "" && ch != backstop.ChannelWeCom {
		return nil, backstop.Localized(backstop.EINVALID, "请填写接收地址", "Give an address to send the test to.")
	}
	if ch == backstop.ChannelSMS {
		p, err := backstop.ValidatePhone(address)
		if err != nil {
			return nil, err
		}
		address = p
	}
	if text == "" {
		text = "【测试】这是因灾返贫防范平台的渠道测试消息，无需回复。"
	}
	var b [6]byte
	rand.Read(b[:])
	key := "bst-test-" + hex.EncodeToString(b[:])
	shown := backstop.RedactSecrets(address)
	switch ch {
	case backstop.ChannelSMS:
		shown = backstop.MaskPhone(address)
	case backstop.ChannelWeCom:
		// A robot's address is its webhook URL or its bare key: both are
		// the secret; the trail names the host or the configured robot.
		shown = robotShown(address)
	}
	if err := s.Store.Audit(ctx, "channel.test", "channel", ch, "to "+shown+", key "+key); err != nil {
		return nil, err
	}
	res := &TestResult{Channel: ch, Key: key}
	out, err := sender.Send(ctx, &backstop.Message{Channel: ch, Address: address, Text: text, Key: key})
	if err != nil {
		res.Error = backstop.RedactSecrets(err.Error())
	} else {
		res.Accepted, res.GatewayID = true, out.GatewayID
	}
	return res, nil
}

// robotShown names a 企业微信 robot address without its key: the host of a
// webhook URL, "default" for the configured robot, *** for a bare key.
func robotShown(address string) string {
	switch {
	case address == "" || address == channel.DefaultRobot:
		return channel.DefaultRobot
	case strings.Contains(address, "://"):
		if u, err := url.Parse(address); err == nil && u.Host != "" {
			return u.Host
		}
		return backstop.Redacted
	}
	return backstop.Redacted
}
