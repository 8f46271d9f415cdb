package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
)

// PollFeedsArgs is the periodic job that polls due feeds.
type PollFeedsArgs struct{}

// Kind names the job in River's tables.
func (PollFeedsArgs) Kind() string { return "feeds.poll" }

// PollFeedsWorker polls the configured CAP feeds, through the alerting
// service's egress-guarded client (feeds are user input).
type PollFeedsWorker struct {
	river.WorkerDefaults[PollFeedsArgs]
	Alerting *alerting.Service
}

// Work polls every due feed as the system.
func (w *PollFeedsWorker) Work(ctx context.Context, job *river.Job[PollFeedsArgs]) error {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("feeds"))
	return w.Alerting.PollDue(ctx)
}

// Timeout bounds one round of polling.
func (w *PollFeedsWorker) Timeout(*river.Job[PollFeedsArgs]) time.Duration { return 5 * time.Minute }

// PollFeedsEvery is the periodic job that polls feeds (each feed keeps
// its own interval; this is how often due ones are looked for).
func PollFeedsEvery(d time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(d), func() (river.JobArgs, *river.InsertOpts) {
		return PollFeedsArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: d}}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
