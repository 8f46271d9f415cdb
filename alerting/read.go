package alerting

import (
	"context"

	"github.com/zhangye-backstop/backstop"
)

// Warnings pages the warnings, newest first.
func (s *Service) Warnings(ctx context.Context, f backstop.WarningFilter) ([]*backstop.Warning, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.FindWarnings(ctx, f)
	if items == nil {
		items = []*backstop.Warning{}
	}
	return items, total, err
}

// Warning returns one warning with its CAP document.
func (s *Service) Warning(ctx context.Context, id int64) (*backstop.Warning, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	return s.Store.FindWarning(ctx, id)
}

// Consultations lists a warning's consultations (会商研判).
func (s *Service) Consultations(ctx context.Context, warningID int64) ([]*backstop.Consultation, error) {
	if _, err := s.Warning(ctx, warningID); err != nil {
		return nil, err
	}
	items, err := s.Store.FindConsultations(ctx, warningID)
	if items == nil {
		items = []*backstop.Consultation{}
	}
	return items, err
}

// CreateConsultation records a consultation on a warning.
func (s *Service) CreateConsultation(ctx context.Context, c *backstop.Consultation) error {
	if _, err := backstop.Authorize(ctx, backstop.PermConsult); err != nil {
		return err
	}
	if _, err := s.Store.FindWarning(ctx, c.WarningID); err != nil {
		return err
	}
	return s.Store.CreateConsultation(ctx, c)
}

// ApproveConsultation records the acting user as the approver.
func (s *Service) ApproveConsultation(ctx context.Context, id int64) (*backstop.Consultation, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermApprove); err != nil {
		return nil, err
	}
	return s.Store.ApproveConsultation(ctx, id)
}

// Feeds lists the CAP feeds backstop polls.
func (s *Service) Feeds(ctx context.Context) ([]*backstop.Feed, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	items, err := s.Store.FindFeeds(ctx)
	if items == nil {
		items = []*backstop.Feed{}
	}
	return items, err
}

// CreateFeed adds a CAP index feed to poll.
func (s *Service) CreateFeed(ctx context.Context, f *backstop.Feed) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManageFeeds); err != nil {
		return err
	}
	if f.Name == "" {
		f.Name = f.URL
	}
	return s.Store.CreateFeed(ctx, f)
}

// Quarantined pages the alerts refused from feeds, in the user's scope.
func (s *Service) Quarantined(ctx context.Context, f backstop.QuarantineFilter) ([]*backstop.QuarantinedAlert, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.FindQuarantinedAlerts(ctx, f)
	if items == nil {
		items = []*backstop.QuarantinedAlert{}
	}
	return items, total, err
}

// QuarantinedAlert returns one refused alert with its document.
func (s *Service) QuarantinedAlert(ctx context.Context, id int64) (*backstop.QuarantinedAlert, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	return s.Store.FindQuarantinedAlert(ctx, id)
}
