package server

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhangye-backstop/backstop/jobs"
)

// Background are the settings of a server's durable work.
type Background struct {
	// DispatchWorkers are dispatch batches sent at once by this process.
	DispatchWorkers int
	// Sweep is how often due dispatch batches are looked for;
	// EscalateEvery how often overdue confirmations are.
	Sweep, EscalateEvery time.Duration
}

// Start runs the background work until ctx ends: the job queue (feed
// polling, dispatch batches) and the exposure index's catching up with
// the registry. The returned stop waits for running jobs.
func (s *Server) Start(ctx context.Context, bg Background) (stop func(), err error) {
	if bg.Sweep == 0 {
		bg.Sweep = time.Second
	}
	if bg.EscalateEvery == 0 {
		bg.EscalateEvery = 15 * time.Second
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
	// TODO(clock engine): dispatch sweep and clocks as periodic jobs
	return func() { queue.Stop(context.WithoutCancel(ctx)) }, nil
}
