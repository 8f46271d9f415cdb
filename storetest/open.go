// Package storetest opens real databases for tests, SQLite in a temporary
// directory and PostgreSQL in a schema of its own, and holds the store
// conformance suite that runs on both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// DefaultPostgres is used when BACKSTOP_TEST_POSTGRES is not set.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// OpenSQLite opens a fresh SQLite database in a temporary directory.
func OpenSQLite(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL returns a URL to a new, empty schema of its own (dropped at
// the end of the test), so that parallel runs never collide. Without a
// reachable server the test is skipped, except under CI=true, where it
// fails: CI must run the PostgreSQL tests.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("BACKSTOP_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is required under CI=true: %v", base, err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set BACKSTOP_TEST_POSTGRES): %v", base, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bst_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("BACKSTOP_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a store in a fresh PostgreSQL schema.
func OpenPostgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{URL: PostgresURL(t)})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Engines lists the databases every store test runs on.
var Engines = []struct {
	Name string
	Open func(testing.TB) *sqlstore.DB
}{
	{"sqlite", OpenSQLite},
	{"postgres", OpenPostgres},
}

// SharedData returns the path of a file in ../shared/data beside the
// module, where the project's real test material lives.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data %s is missing: %v", rel, err)
	}
	return p
}

// Admin returns a context acting as the command-line admin.
func Admin() context.Context {
	return backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("test"))
}
