// Package sqlstore implements backstop's services over database/sql, on
// SQLite (embedded default) and PostgreSQL, with one set of queries.
// Queries are written with ? placeholders and rebound to $n for
// PostgreSQL; the few places where the engines differ go through dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/egress"
)

//go:embed migrations
var migrationsFS embed.FS

// Dialect names the database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database: for SQLite, one writer connection and a pool of
// readers (SQLite allows one writer at a time; queueing writes in Go avoids
// SQLITE_BUSY storms); for PostgreSQL one pool for both.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	// URL is the connection string without secrets, for logs.
	URL    string
	logger *slog.Logger
	now    func() time.Time

	elderly   elderlyCache
	rebound   sync.Map // query → rebound query
	sequences sync.Map // table → its id sequence (PostgreSQL)

	// OnRegistryChange, when set, is called after a transaction that
	// changed households commits (the exposure index catches up).
	OnRegistryChange func()
	// Outbound checks the URLs users give, feeds and 企业微信 robots of
	// contacts, before they are stored; nil allows no internal host.
	Outbound *egress.Policy
}

// registryChanged tells the listener, if any.
func (db *DB) registryChanged() {
	if db.OnRegistryChange != nil {
		db.OnRegistryChange()
	}
}

// Options configure Open.
type Options struct {
	// URL is a postgres:// URL, or empty for SQLite in DataDir.
	URL string
	// DataDir holds the SQLite file when URL is empty.
	DataDir string
	Logger  *slog.Logger
	// StopAtVersion, when set, migrates no further than that version:
	// upgrade tests write data under an old schema and then open again.
	StopAtVersion int
}

// sqliteCacheSize is each SQLite connection's page cache (64 MiB), as a
// pragma's argument: the roster writer shrinks its own for index builds
// and sets it back.
const sqliteCacheSize = "cache_size(-65536)"

// SQLiteFile is the database file name inside the data directory.
const SQLiteFile = "backstop.db"

// Open connects and migrates the database to the schema this binary knows.
// It refuses a database whose schema is newer than this binary.
func Open(ctx context.Context, opt Options) (*DB, error) {
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db := &DB{logger: logger, now: time.Now}
	switch {
	case strings.HasPrefix(opt.URL, "postgres://") || strings.HasPrefix(opt.URL, "postgresql://"):
		cfg, err := pgx.ParseConfig(opt.URL)
		if err != nil {
			return nil, backstop.Errorf(backstop.EINVALID, "database URL: %v", err)
		}
		// Statements are prepared and cached per connection; after five
		// runs PostgreSQL may switch one to a generic plan, blind to its
		// parameters. A region's range is a village or the whole city, so
		// the plan must see the values: a keyset page of the city's cases
		// went from 2 to 88 ms on a generic plan (measured). Planning each
		// time costs well under a millisecond here. A URL may set its own.
		if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
			cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
		}
		pool := stdlib.OpenDB(*cfg)
		pool.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
		pool.SetMaxIdleConns(8)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.write, db.read, db.dialect = pool, pool, Postgres
		db.URL = redactURL(opt.URL)
	case opt.URL == "" || strings.HasPrefix(opt.URL, "sqlite:") || strings.HasPrefix(opt.URL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(opt.URL, "sqlite:"), "file:")
		if path == "" {
			if opt.DataDir == "" {
				return nil, backstop.Errorf(backstop.EINVALID, "no database URL and no data directory")
			}
			if err := os.MkdirAll(opt.DataDir, 0o750); err != nil {
				return nil, backstop.Errorf(backstop.EUNAVAILABLE, "cannot create data directory %s: %v", opt.DataDir, err)
			}
			path = filepath.Join(opt.DataDir, SQLiteFile)
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			// A new file gets 16 KiB pages before anything else opens it
			// (the page size is fixed once the file is in WAL mode): a
			// roster import writes hundreds of megabytes through the WAL a
			// page per system call, and with larger pages its commit took
			// a third less (measured). Existing files keep theirs.
			boot, err := sql.Open("sqlite", "file:"+path+"?_pragma=page_size(16384)")
			if err == nil {
				_, err = boot.ExecContext(ctx, schemaMigrationsTable)
				boot.Close()
			}
			if err != nil {
				return nil, backstop.Errorf(backstop.EUNAVAILABLE, "cannot create the database %s: %v", path, err)
			}
		}
		// busy_timeout comes before journal_mode so that switching to WAL
		// waits for another process instead of failing; foreign keys are off
		// by default in SQLite; NORMAL sync is durable in WAL mode except
		// for the last transactions on power loss.
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=" + sqliteCacheSize + "&_time_integer_format=unix_micro&_inttotime=1"
		w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, err
		}
		r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
		db.write, db.read, db.dialect = w, r, SQLite
		db.URL = "sqlite:" + path
	default:
		return nil, backstop.Errorf(backstop.EINVALID, "database URL must start with postgres:// (or be empty for SQLite), got %q", redactURL(opt.URL))
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, backstop.Errorf(backstop.EUNAVAILABLE, "cannot reach the database %s: %v", db.URL, err)
	}
	if err := db.migrate(ctx, opt.StopAtVersion); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pools.
func (db *DB) Close() error {
	var err error
	if db.read != nil && db.read != db.write {
		err = db.read.Close()
	}
	if db.write != nil {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Dialect tells which engine is behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// WriteDB is the pool for writes (the single SQLite writer), for packages
// such as the job queue that need the same database.
func (db *DB) WriteDB() *sql.DB { return db.write }

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Rebind writes a query with ? placeholders for the dialect, for tests
// and tools that query the database directly.
func (db *DB) Rebind(query string) string { return db.q(query) }

// placeholders is n comma-separated ? for an IN list.
func placeholders(n int) string { return "?" + strings.Repeat(",?", n-1) }

// q rebinds a query written with ? placeholders for the dialect.
func (db *DB) q(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if v, ok := db.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	db.rebound.Store(query, out)
	return out
}

// execer is what a *sql.DB and a *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a write transaction and commits when it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.translate(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return db.translate(err)
	}
	return db.translate(tx.Commit())
}

// inConnTx runs fn in a write transaction on a connection of its own
// (bulk loads need the connection, for COPY) and commits when fn returns
// nil.
func (db *DB) inConnTx(ctx context.Context, fn func(conn *sql.Conn, tx *sql.Tx) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return db.translate(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return db.translate(err)
	}
	if err := fn(conn, tx); err != nil {
		tx.Rollback()
		return db.translate(err)
	}
	return db.translate(tx.Commit())
}

// translate turns driver errors into backstop errors where they mean
// something to a user; others stay internal.
func (db *DB) translate(err error) error {
	if err == nil {
		return nil
	}
	var be *backstop.Error
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return backstop.E(backstop.ENOTFOUND, "notfound.record")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return backstop.E(backstop.ECONFLICT, "conflict.exists")
		case "23503":
			return backstop.E(backstop.EINVALID, "invalid.reference")
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return backstop.E(backstop.ECONFLICT, "conflict.exists")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return backstop.E(backstop.EINVALID, "invalid.reference")
		}
	}
	return err
}

// migration is one embedded SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + string(db.dialect)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, err := fs.ReadFile(migrationsFS, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

const schemaMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`

// migrate applies the embedded migrations that are not yet applied, each in
// its own transaction. Migrations are append-only: a file once released is
// never edited.
func (db *DB) migrate(ctx context.Context, stopAt int) error {
	if _, err := db.write.ExecContext(ctx, schemaMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if db.dialect == Postgres {
		// Two processes starting at once must not both migrate.
		if _, err := db.write.ExecContext(ctx, `SELECT pg_advisory_lock(726354)`); err != nil {
			return fmt.Errorf("lock for migrations: %w", err)
		}
		defer db.write.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(726354)`)
	}
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	var current int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return backstop.Errorf(backstop.EUNAVAILABLE, "the database schema is at version %d, newer than this backstop knows (%d): run a newer backstop", current, latest)
	}
	for _, m := range ms {
		if m.version <= current || (stopAt > 0 && m.version > stopAt) {
			continue
		}
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`), m.version, m.name, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return err
		}
		db.logger.Info("migrated", "version", m.version, "name", m.name)
	}
	return nil
}

// SchemaVersion returns the applied schema version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Ping checks the database for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
}
