package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
)

// QueueDispatch is the queue of dispatch batches, apart from feed polling
// so that a large release does not hold up other work.
const QueueDispatch = "dispatch"

// DispatchBatchArgs is one batch of a release's outbox to send. Batches
// are leased in the database, so a job that runs twice, or after another
// process took the batch, sends nothing twice.
type DispatchBatchArgs struct {
	StreamID int64 `json:"stream_id"`
	Batch    int   `json:"batch"`
}

// Kind names the job in River's tables.
func (DispatchBatchArgs) Kind() string { return "outbox.batch" }

// InsertOpts puts the job on the dispatch queue.
func (DispatchBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDispatch, MaxAttempts: 10}
}

// DispatchBatchWorker sends a batch.
type DispatchBatchWorker struct {
	river.WorkerDefaults[DispatchBatchArgs]
	Dispatch *dispatch.Service
}

// Work sends the batch's due messages.
func (w *DispatchBatchWorker) Work(ctx context.Context, job *river.Job[DispatchBatchArgs]) error {
	return w.Dispatch.SendBatch(ctx, backstop.OutboxBatch{StreamID: job.Args.StreamID, Batch: job.Args.Batch})
}

// Timeout bounds a batch run; the dispatch lease is longer.
func (w *DispatchBatchWorker) Timeout(*river.Job[DispatchBatchArgs]) time.Duration {
	return 2 * time.Minute
}

// Enqueue inserts dispatch jobs for batches, many at a time.
func (q *Queue) Enqueue(ctx context.Context, batches []backstop.OutboxBatch) error {
	for start := 0; start < len(batches); start += 1000 {
		chunk := batches[start:min(start+1000, len(batches))]
		params := make([]river.InsertManyParams, len(chunk))
		for i, b := range chunk {
			params[i] = river.InsertManyParams{Args: DispatchBatchArgs{StreamID: b.StreamID, Batch: b.Batch}}
		}
		if _, err := q.Client.InsertManyFast(ctx, params); err != nil {
			return err
		}
	}
	return nil
}
