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
	return progressOf(r, w, st, s.now()), nil
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
