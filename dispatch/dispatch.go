// Package dispatch makes targeted releases of warnings and delivers them:
// it turns a warning's exposure into recipients by audience rules,
// writes the release with its outbox messages, confirmation tasks and
// confirmation clock in one transaction, sends the outbox of every stream
// in leased batches over the channels with retries and fallbacks, applies
// delivery receipts, and, as the handler of the release.confirm clock,
// escalates key-group persons nobody confirmed in time.
package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
)

// Exposer computes a warning's exposure when none is stored.
type Exposer interface {
	Compute(ctx context.Context, w *backstop.Warning) (*backstop.ExposureSnapshot, error)
}

// Store is what dispatch needs of storage.
type Store interface {
	backstop.ReleaseService
	backstop.OutboxService
	backstop.FieldTaskService
	backstop.TemplateService
	backstop.ContactService
	backstop.WarningService
	backstop.ConsultationService
	backstop.PolicyService
	backstop.AuditService
	FindExposure(ctx context.Context, warningID int64) (*backstop.Exposure, error)
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
	FindClock(ctx context.Context, kind, subject string) (*backstop.Clock, error)
}

// Service makes and sends releases.
type Service struct {
	Store   Store
	Exposer Exposer
	Senders map[string]channel.Sender
	Logger  *slog.Logger
	Now     func() time.Time

	// Owner names this process in batch leases.
	Owner string
	// SenderName fills {sender}; Hotline fills {hotline} unless a request
	// gives one; SignName is the SMS signature counted in previews.
	SenderName, Hotline, SignName string
	// BaseURL is where confirmation links point (e.g. https://backstop.example).
	BaseURL string
	// BatchSize messages make a dispatch batch; Concurrency of them are
	// sent at once; MaxAttempts before a message fails for good.
	BatchSize, Concurrency, MaxAttempts int
	// Lease is how long a worker holds a batch without renewing it; it
	// renews it every third of that while it sends, so that the batches
	// of a killed process are sent again soon after.
	Lease time.Duration
	// MaxRun bounds one batch run; the rest stays due for the next.
	MaxRun time.Duration
	// Enqueue hands due batches to the job queue; nil sends them in the
	// caller (tests, the CLI).
	Enqueue func(ctx context.Context, batches []backstop.OutboxBatch) error

	setup sync.Once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// defaults fills what the configuration left zero, once: workers call it
// from many goroutines.
func (s *Service) defaults() { s.setup.Do(s.fill) }

func (s *Service) fill() {
	if s.BatchSize <= 0 {
		s.BatchSize = 500
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 32
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 5
	}
	if s.Lease <= 0 {
		s.Lease = 6 * time.Second
	}
	if s.MaxRun <= 0 {
		s.MaxRun = time.Minute
	}
	if s.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		s.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if s.SenderName == "" {
		s.SenderName = "张掖市预警信息发布中心"
	}
	if s.Hotline == "" {
		s.Hotline = "12345"
	}
}

// backoff is the wait before attempt n+1: 2 s, 4 s, 8 s … up to 5 minutes.
func backoff(attempts int) time.Duration {
	return min(5*time.Minute, time.Duration(1<<min(attempts, 10))*time.Second)
}
