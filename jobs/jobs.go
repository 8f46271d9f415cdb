// Package jobs runs backstop's durable background work on River, over the
// same database as everything else (SQLite or PostgreSQL through
// database/sql), so that work is enqueued in the transaction that causes
// it.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/zhangye-backstop/backstop/sqlstore"
)

// Queue is the River client of a backstop process.
type Queue struct {
	Client *river.Client[*sql.Tx]
	logger *slog.Logger
}

func driverFor(db *sqlstore.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect() == sqlstore.Postgres {
		return riverdatabasesql.New(db.WriteDB())
	}
	// SQLite: River shares the single writer connection.
	return riversqlite.New(db.WriteDB())
}

// Migrate creates or upgrades River's tables.
func Migrate(ctx context.Context, db *sqlstore.DB) error {
	m, err := rivermigrate.New(driverFor(db), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// Config says what the queue runs.
type Config struct {
	Workers  *river.Workers
	Periodic []*river.PeriodicJob
	// MaxWorkers per process on the default queue; DispatchWorkers on
	// the dispatch queue.
	MaxWorkers, DispatchWorkers int
	// PollInterval is how often idle workers look for jobs.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Open migrates River's tables and makes a client. Without workers the
// client can only insert jobs (as a CLI process does).
func Open(ctx context.Context, db *sqlstore.DB, cfg Config) (*Queue, error) {
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rc := &river.Config{Logger: cfg.Logger, PollOnly: true, FetchPollInterval: cfg.PollInterval, FetchCooldown: 20 * time.Millisecond}
	if rc.FetchPollInterval == 0 {
		rc.FetchPollInterval = 200 * time.Millisecond
	}
	if cfg.Workers != nil {
		rc.Workers = cfg.Workers
		rc.PeriodicJobs = cfg.Periodic
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.MaxWorkers, 1)}, QueueDispatch: {MaxWorkers: max(cfg.DispatchWorkers, 1)}}
	}
	client, err := river.NewClient(driverFor(db), rc)
	if err != nil {
		return nil, err
	}
	return &Queue{Client: client, logger: cfg.Logger}, nil
}

// Start starts working jobs until ctx ends or Stop.
func (q *Queue) Start(ctx context.Context) error { return q.Client.Start(ctx) }

// Stop waits for running jobs to finish.
func (q *Queue) Stop(ctx context.Context) error { return q.Client.Stop(ctx) }
