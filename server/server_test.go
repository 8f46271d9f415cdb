package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestRequiredPolicies: a required policy key without any version stops
// the server from starting, naming the key, instead of a decision falling
// back to a constant later.
func TestRequiredPolicies(t *testing.T) {
	db := storetest.OpenSQLite(t)
	if _, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir()}); err != nil {
		t.Fatalf("a seeded database does not start: %v", err)
	}
	if _, err := db.WriteDB().Exec(`DELETE FROM policies WHERE key = 'release.escalate_county_minutes'`); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "release.escalate_county_minutes") {
		t.Fatalf("started without a required policy: %v", err)
	}
}
