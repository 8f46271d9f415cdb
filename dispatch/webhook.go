package dispatch

import (
	"context"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// retryRule is how often a message of a channel is tried and how long
// the wait between tries grows to. Departments' webhooks follow their
// policy rows: a receiver down for hours still gets every event, in
// order, once it is back; gateways keep the configured attempts and five
// minutes at most.
func (s *Service) retryRule(ctx context.Context, ch string) (attempts int, longest time.Duration) {
	if ch != backstop.ChannelWebhook {
		return s.MaxAttempts, 5 * time.Minute
	}
	attempts, longest = s.MaxAttempts, time.Hour
	now := s.now()
	if p, err := s.Store.PolicyAt(ctx, backstop.PolicyWebhookAttempts, backstop.NationalScope, now); err == nil {
		attempts = int(p.Value)
	} else {
		s.logger().Error("webhook retries: policy", "key", backstop.PolicyWebhookAttempts, "err", err)
	}
	if p, err := s.Store.PolicyAt(ctx, backstop.PolicyWebhookBackoff, backstop.NationalScope, now); err == nil {
		longest = time.Duration(p.Value * float64(time.Minute))
	} else {
		s.logger().Error("webhook retries: policy", "key", backstop.PolicyWebhookBackoff, "err", err)
	}
	return attempts, longest
}

// wait is the pause before attempt n+1: 2 s, 4 s, 8 s … up to longest.
func wait(attempts int, longest time.Duration) time.Duration {
	return min(longest, time.Duration(1<<min(attempts, 20))*time.Second)
}
