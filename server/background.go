package server

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/jobs"
)

// Background are the settings of a server's durable work.
type Background struct {
	// DispatchWorkers are dispatch batches sent at once by this process.
	DispatchWorkers int
	// Poll is how often this process looks for due clocks and due outbox
	// batches.
	Poll time.Duration
	// PlanYears opens the coming year's contingency plans of the home
	// region's counties every hour (kept when open), so that their
	// reminders fire from the schedule's date.
	PlanYears bool
}

// Start runs the background work until ctx ends: the job queue (feed
// polling, dispatch batches), the clocks, the outbox sweep, and the
// exposure index's catching up with the registry. The returned stop waits
// for running jobs.
//
// Every process polls for due clocks and batches; what makes the work
// happen once across processes is the database: a clock is claimed by one
// process (FOR UPDATE SKIP LOCKED on PostgreSQL, SQLite's single writer),
// a batch is leased by one. Polling here rather than from River's
// leader-elected periodic jobs keeps a restarted process from waiting out
// the dead leader's term (15 s) before anything is sent.
func (s *Server) Start(ctx context.Context, bg Background) (stop func(), err error) {
	if bg.Poll == 0 {
		bg.Poll = time.Second
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.PollFeedsWorker{Alerting: s.Alerting})
	river.AddWorker(workers, &jobs.DispatchBatchWorker{Dispatch: s.Dispatch})
	queue, err := jobs.Open(ctx, s.DB, jobs.Config{Workers: workers, Periodic: []*river.PeriodicJob{jobs.PollFeedsEvery(time.Minute)}, MaxWorkers: 4,
		DispatchWorkers: bg.DispatchWorkers, PollInterval: 100 * time.Millisecond, Logger: s.cfg.Logger})
	if err != nil {
		return nil, err
	}
	s.Dispatch.Enqueue = queue.Enqueue
	if err := queue.Start(ctx); err != nil {
		return nil, err
	}
	go s.Exposure.Run(ctx, 2*time.Second)
	go s.poll(ctx, "outbox sweep", bg.Poll, s.Dispatch.Sweep)
	go s.poll(ctx, "clocks", bg.Poll, func(ctx context.Context) error {
		_, err := s.Clocks.RunDue(backstop.NewContextWithUser(ctx, backstop.SystemUser("clocks")))
		return err
	})
	if bg.PlanYears {
		go s.poll(ctx, "plan years", time.Hour, s.openPlanYears)
	}
	go s.poll(ctx, "calendar", time.Minute, func(ctx context.Context) error {
		// A calendar imported by the CLI, or by another process.
		_, err := s.Calendar.Reload(ctx)
		return err
	})
	return func() { queue.Stop(context.WithoutCancel(ctx)) }, nil
}

// poll runs fn now and every interval until ctx ends.
func (s *Server) poll(ctx context.Context, what string, every time.Duration, fn func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
