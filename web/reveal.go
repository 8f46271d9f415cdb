package web

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// revealTTL is how long a revealed household can be shown again by
// refreshing its page; after that the page is masked again.
const revealTTL = 5 * time.Minute

// reveals keeps revealed households for their page's refreshes, by a
// random key, for the user who revealed them. In memory only: a restart
// forgets them, and the page then says the reveal must be asked again.
type reveals struct {
	mu    sync.Mutex
	items map[string]revealed
}

type revealed struct {
	user    string
	h       *backstop.Household
	expires time.Time
}

func (rs *reveals) put(user string, h *backstop.Household) string {
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.items == nil {
		rs.items = map[string]revealed{}
	}
	now := time.Now()
	for k, v := range rs.items {
		if now.After(v.expires) {
			delete(rs.items, k)
		}
	}
	rs.items[key] = revealed{user: user, h: h, expires: now.Add(revealTTL)}
	return key
}

func (rs *reveals) get(key, user, number string) (*backstop.Household, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	v, ok := rs.items[key]
	if !ok || v.user != user || v.h.Number != number || time.Now().After(v.expires) {
		return nil, false
	}
	return v.h, true
}
