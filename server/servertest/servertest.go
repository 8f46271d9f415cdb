// Package servertest starts an assembled backstop for tests: the same
// server.New that `backstop serve` runs, behind an httptest listener.
package servertest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// New builds the server on db and serves its root handler; both close
// with the test. A zero RequestsPerSecond is set high, so that tests are
// not rate-limited unless they ask to be.
func New(t testing.TB, db *sqlstore.DB, cfg server.Config) (*server.Server, *httptest.Server) {
	t.Helper()
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = 1e5
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	srv, err := server.New(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs
}
