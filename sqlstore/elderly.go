package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// elderlyCache holds the policy elderly.age in force, read at most once a
// minute: every household scanned needs it, and a policy change reaches
// the lists within that minute (CreatePolicy clears it at once).
type elderlyCache struct {
	mu    sync.Mutex
	years int
	read  time.Time
}

const elderlyCacheFor = time.Minute

// elderlyYears is the age from which a person living alone is elderly, by
// the policy in force. When the row cannot be read the last value read is
// kept; before any was read it is an error (never a silent constant).
func (db *DB) elderlyYears(ctx context.Context) (int, error) {
	c := &db.elderly
	c.mu.Lock()
	defer c.mu.Unlock()
	now := db.now()
	if c.years > 0 && now.Sub(c.read) < elderlyCacheFor {
		return c.years, nil
	}
	p, err := db.PolicyAt(ctx, backstop.PolicyElderlyAge, backstop.NationalScope, now.In(backstop.Beijing))
	if err != nil {
		if c.years > 0 {
			db.logger.Warn("elderly.age not read; the last value stands", "err", err)
			return c.years, nil
		}
		return 0, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员设置", "The policy %s is not set: an admin must add a version.", backstop.PolicyElderlyAge)
	}
	c.years, c.read = int(p.Value), now
	return c.years, nil
}

// forgetElderly makes the next read take the policy again.
func (db *DB) forgetElderly() {
	db.elderly.mu.Lock()
	db.elderly.years = 0
	db.elderly.mu.Unlock()
}

// elderlyCutoffAt is the latest birth date of a person who is elderly on
// now's day.
func (db *DB) elderlyCutoffAt(ctx context.Context, now time.Time) (string, error) {
	years, err := db.elderlyYears(ctx)
	if err != nil {
		return "", err
	}
	return now.AddDate(-years, 0, 0).Format("2006-01-02"), nil
}

// elderlyCutoff is elderlyCutoffAt for the scans that cannot fail: with no
// policy readable at all nobody is counted elderly, and the error is
// logged (backstop refuses to start without the row).
func (db *DB) elderlyCutoff(now time.Time) string {
	cut, err := db.elderlyCutoffAt(context.Background(), now)
	if err != nil {
		db.logger.Error("elderly.age", "err", err)
		return "0000-00-00"
	}
	return cut
}
