package alerting

import (
	"bytes"
	"context"
	"errors"
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

// errTooLarge is a response larger than fetch's limit; fetch returns its
// first limit+1 bytes with it.
type errTooLarge struct {
	url   string
	limit int64
}

func (e *errTooLarge) Error() string {
	return fmt.Sprintf("GET %s: larger than %d bytes", e.url, e.limit)
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
		return b, &errTooLarge{url: u, limit: limit}
	}
	return b, nil
}

// PollFeed reads a feed and ingests the alerts of its entries that are not
// stored yet (sender + identifier + sent decide). It returns how many were
// new; problems with single entries are collected, not fatal. The feed and
// the alerts its entries link are fetched through the Outbound policy's
// client: a feed stored before the policy, or one whose host now resolves
// to an internal address, is refused, as is a link or redirect to one. An
// alert that is refused (it breaks a rule or a limit of CAP, or a linked
// one is larger than capalert.MaxBytes) is quarantined with the reasons,
// once per document, for an administrator to accept or dismiss; it still
// counts as the poll's error, so that the feed shows it.
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
	note := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, e := range entries {
		doc, from := e.Embedded, ""
		if doc == nil && e.Link != "" {
			link, err := base.Parse(e.Link)
			if err != nil {
				continue
			}
			from = link.String()
			var tooLarge *errTooLarge
			if doc, err = fetch(ctx, client, from, capalert.MaxBytes); errors.As(err, &tooLarge) {
				refusal := backstop.Localized(backstop.ETOOLARGE, "链接的 CAP 文档超过 %d 字节（2 MiB），已拒收", "The linked CAP document is larger than %d bytes (2 MiB).", capalert.MaxBytes)
				refusal.Details = []backstop.Problem{{Path: "/", Reason: refusal.Message, ReasonZH: refusal.ZH}}
				note(s.quarantine(ctx, f, e.ID, from, doc, refusal))
				continue
			} else if err != nil {
				note(err)
				continue
			}
		}
		if doc == nil {
			continue
		}
		res, err := capalert.Parse(doc)
		if err != nil {
			note(s.quarantine(ctx, f, e.ID, from, doc, err))
			continue
		}
		_, err = s.ingestParsed(ctx, res, doc, source)
		switch backstop.ErrorCode(err) {
		case "":
			fresh++
		case backstop.ECONFLICT:
		default:
			note(fmt.Errorf("entry %s: %s", e.ID, backstop.ErrorMessage(err)))
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
			s.logger().Warn("feed poll", "feed", f.URL, "err", err)
		}
		if err := s.Store.FeedPolled(ctx, f.ID, now, n, msg); err != nil {
			return err
		}
	}
	return nil
}
