package alerting

import (
	"context"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// Published tells a warning that goes out in the public CAP feed: made in
// backstop, real, and an alert, update or cancel.
func Published(w *backstop.Warning) bool {
	return w.Status == "Actual" && (w.Source == "json" || w.Source == "form" || strings.HasPrefix(w.Source, "release")) && w.MsgType != "Ack" && w.MsgType != "Error"
}

// PublicWarnings are the warnings of the public CAP feed, newest first:
// those made in backstop and the real ones released through it, whoever
// sent them. The feed is public, so this runs as the system.
func (s *Service) PublicWarnings(ctx context.Context, limit int) ([]*backstop.Warning, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("cap-feed"))
	items, _, err := s.Store.FindWarnings(ctx, backstop.WarningFilter{Limit: limit})
	if err != nil {
		return nil, err
	}
	released := map[int64]bool{}
	rels, err := s.Store.FindReleases(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, rel := range rels {
		released[rel.WarningID] = released[rel.WarningID] || !rel.Test
	}
	var out []*backstop.Warning
	for _, it := range items {
		if !Published(it) && !(released[it.ID] && it.Status == "Actual") {
			continue
		}
		full, err := s.Store.FindWarning(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// PublicWarning returns a warning of the public feed, or ENOTFOUND.
func (s *Service) PublicWarning(ctx context.Context, id int64) (*backstop.Warning, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("cap-feed"))
	w, err := s.Store.FindWarning(ctx, id)
	if err != nil {
		return nil, err
	}
	if Published(w) {
		return w, nil
	}
	rels, err := s.Store.FindReleases(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, rel := range rels {
		if !rel.Test && w.Status == "Actual" {
			return w, nil
		}
	}
	return nil, backstop.Localized(backstop.ENOTFOUND, "找不到该预警", "No such warning.")
}
