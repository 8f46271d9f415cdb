package alerting

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/capalert"
)

// FeedTimeout bounds one request of a feed or an alert it links.
const FeedTimeout = 30 * time.Second

// feedClient is the egress-guarded client of the feeds, made once so that
// polls reuse its connections.
func (s *Service) feedClient() *http.Client {
	s.feedsOnce.Do(func() { s.feeds = s.Outbound.Client(FeedTimeout) })
	return s.feeds
}

// fetch GETs a URL with a size limit.
func fetch(ctx context.Context, client *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/cap+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, limit)
	}
	return b, nil
}

// PollFeed reads a feed and ingests the alerts of its entries that are not
// stored yet (sender + identifier + sent decide). It returns how many were
// new; problems with single entries are collected, not fatal. The feed and
// the alerts its entries link are fetched through the Outbound policy's
// client: a feed stored before the policy, or one whose host now resolves
// to an internal address, is refused, as is a link or redirect to one.
func (s *Service) PollFeed(ctx context.Context, f *backstop.Feed) (int, error) {
	client := s.feedClient()
	body, err := fetch(ctx, client, f.URL, capalert.MaxFeedBytes)
	if err != nil {
		return 0, err
	}
	entries, err := capalert.ReadFeed(bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	base, _ := url.Parse(f.URL)
	source := fmt.Sprintf("feed:%d", f.ID)
	fresh := 0
	var firstErr error
	for _, e := range entries {
		doc := e.Embedded
		if doc == nil && e.Link != "" {
			link, err := base.Parse(e.Link)
			if err != nil {
				continue
			}
			if doc, err = fetch(ctx, client, link.String(), capalert.MaxBytes); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
		}
		if doc == nil {
			continue
		}
		_, err := s.IngestCAP(ctx, doc, source)
		switch backstop.ErrorCode(err) {
		case "":
			fresh++
		case backstop.ECONFLICT:
		default:
			if firstErr == nil {
				firstErr = fmt.Errorf("entry %s: %s", e.ID, backstop.ErrorMessage(err))
			}
		}
	}
	return fresh, firstErr
}

// PollDue polls every enabled feed whose interval has passed.
func (s *Service) PollDue(ctx context.Context) error {
	feeds, err := s.Store.FindFeeds(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, f := range feeds {
		if !f.Enabled || (f.LastPolledAt != nil && now.Sub(*f.LastPolledAt) < time.Duration(f.IntervalSeconds)*time.Second) {
			continue
		}
		n, err := s.PollFeed(ctx, f)
		msg := ""
		if err != nil {
			msg = err.Error()
			s.Logger.Warn("feed poll", "feed", f.URL, "err", err)
		}
		if err := s.Store.FeedPolled(ctx, f.ID, now, n, msg); err != nil {
			return err
		}
	}
	return nil
}
