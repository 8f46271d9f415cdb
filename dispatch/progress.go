package dispatch

import (
	"context"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Phases of a release as its dashboard names them: sending is not done
// while messages are pending, and a release whose messages are all out is
// not done while key-group persons are unconfirmed.
const (
	PhaseSending    = "sending"    // messages are still going out
	PhaseConfirming = "confirming" // sent; key-group persons still unconfirmed
	PhaseDone       = "done"       // sent, and every task has an outcome
)

// Progress is one release with its figures in the user's region: what
// the release list, the home page and the dashboard show.
type Progress struct {
	Release *backstop.Release      `json:"release"`
	Warning *backstop.Warning      `json:"warning"`
	Stats   *backstop.ReleaseStats `json:"stats"`
	Phase   string                 `json:"phase"`
	// Messages sums the release's messages by status (test messages are
	// "simulated").
	Messages map[string]int `json:"messages"`
	// Sent counts the messages a gateway took (sent or delivered);
	// MessagesTotal all but the simulated ones.
	Sent, MessagesTotal int
	// Rate is the per cent of key-group persons confirmed (reached by any
	// means), 0 when there are none.
	Rate int `json:"rate"`
	// Overdue: the confirmation deadline has passed with persons open.
	Overdue bool `json:"overdue"`
	// Unused are the channels configured on this server that the
	// release did not use (not chosen, or chosen but no chosen audience
	// reaches anyone on them), so that a dashboard says what did not go
	// out.
	Unused []string `json:"unused_channels"`
}

// Dashboard is a release's progress with what its dashboard lists
// besides: the failed messages that no confirmation task follows up.
type Dashboard struct {
	*Progress
	Failures      []*backstop.FailedMessage `json:"untasked_failures"`
	FailuresTotal int                       `json:"untasked_failures_total"`
}

// maxShownFailures is how many untasked failures a dashboard lists; the
// total is said beside them.
const maxShownFailures = 200

// Dashboard returns a release's progress, unused channels and untasked
// failures in the user's region.
func (s *Service) Dashboard(ctx context.Context, id int64) (*Dashboard, error) {
	p, err := s.Progress(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Progress: p}
	if d.Failures, d.FailuresTotal, err = s.Store.UntaskedFailures(ctx, id, maxShownFailures); err != nil {
		return nil, err
	}
	return d, nil
}

// unusedChannels are the configured channels a release sent nothing on:
// those not chosen, and those chosen that no message of the release (in
// any region) went out on.
func (s *Service) unusedChannels(ctx context.Context, r *backstop.Release) []string {
	used := map[string]bool{}
	if counts, err := s.Store.StreamCounts(ctx, r.StreamID); err == nil {
		for _, c := range counts {
			if c.N > 0 {
				used[c.Channel] = true
			}
		}
	}
	var out []string
	for _, ch := range backstop.Channels {
		if _, configured := s.Senders[ch]; configured && !used[ch] {
			out = append(out, ch)
		}
	}
	return out
}

// progressOf computes the figures of a release from its stats.
func progressOf(r *backstop.Release, w *backstop.Warning, st *backstop.ReleaseStats, now time.Time) *Progress {
	p := &Progress{Release: r, Warning: w, Stats: st, Messages: map[string]int{}}
	for _, c := range st.Messages {
		p.Messages[c.Status] += c.N
		if c.Status != backstop.MessageSimulated {
			p.MessagesTotal += c.N
		}
		if c.Status == backstop.MessageSent || c.Status == backstop.MessageDelivered {
			p.Sent += c.N
		}
	}
	if st.Tasks.Total > 0 {
		p.Rate = 100 * st.Tasks.Confirmed / st.Tasks.Total
	}
	switch {
	case r.State == backstop.StreamSending:
		p.Phase = PhaseSending
	case st.Tasks.Open > 0:
		p.Phase = PhaseConfirming
	default:
		p.Phase = PhaseDone
	}
	p.Overdue = st.Tasks.Open > 0 && now.After(r.Deadline)
	return p
}

// Progress returns one release with its figures in the user's region.
func (s *Service) Progress(ctx context.Context, id int64) (*Progress, error) {
	r, st, err := s.Release(ctx, id)
	if err != nil {
		return nil, err
	}
	w, err := s.Store.FindWarning(ctx, r.WarningID)
	if err != nil {
		return nil, err
	}
	p := progressOf(r, w, st, s.now())
	p.Unused = s.unusedChannels(ctx, r)
	return p, nil
}

// ReleaseList pages releases across warnings (newest first) with their
// progress in the user's region; outside the national scope, the
// releases with tasks in that region.
func (s *Service) ReleaseList(ctx context.Context, f backstop.ReleaseFilter) ([]*Progress, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, 0, err
	}
	rs, total, err := s.Store.FindReleasePage(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Progress, 0, len(rs))
	warnings := map[int64]*backstop.Warning{}
	now := s.now()
	for _, r := range rs {
		w, ok := warnings[r.WarningID]
		if !ok {
			if w, err = s.Store.FindWarning(ctx, r.WarningID); err != nil {
				return nil, 0, err
			}
			warnings[r.WarningID] = w
		}
		st, err := s.Store.ReleaseStats(ctx, r.ID)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, progressOf(r, w, st, now))
	}
	return out, total, nil
}
