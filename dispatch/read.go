package dispatch

import (
	"context"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

// Releases lists a warning's releases (all warnings' for 0), newest first.
func (s *Service) Releases(ctx context.Context, warningID int64) ([]*backstop.Release, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	items, err := s.Store.FindReleases(ctx, warningID)
	if items == nil {
		items = []*backstop.Release{}
	}
	return items, err
}

// Release returns a release with its dashboard figures, in the user's
// region.
func (s *Service) Release(ctx context.Context, id int64) (*backstop.Release, *backstop.ReleaseStats, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, nil, err
	}
	r, err := s.Store.FindRelease(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.Store.ReleaseStats(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return r, st, nil
}

// MaskTasks masks the phones of tasks, as every list shows them.
func MaskTasks(ts []*backstop.FieldTask) {
	for _, t := range ts {
		t.Phone, t.AssigneePhone = backstop.MaskPhone(t.Phone), backstop.MaskPhone(t.AssigneePhone)
	}
}

// Tasks pages the confirmation tasks the filter selects in the user's
// region, phones masked.
func (s *Service) Tasks(ctx context.Context, f backstop.TaskFilter) ([]*backstop.FieldTask, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.FindTasks(ctx, f)
	if items == nil {
		items = []*backstop.FieldTask{}
	}
	MaskTasks(items)
	return items, total, err
}

// task loads one task of a release in the context's scope.
func (s *Service) task(ctx context.Context, releaseID, taskID int64) (*backstop.FieldTask, error) {
	ts, _, err := s.Store.FindTasks(ctx, backstop.TaskFilter{ReleaseID: releaseID, ID: taskID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到确认任务%d", "Task %d not found.", taskID)
	}
	return ts[0], nil
}

// CallNumber reveals the phone of a task's person so that an officer can
// call: it needs the reveal permission and leaves an audit row.
func (s *Service) CallNumber(ctx context.Context, releaseID, taskID int64) (string, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermRevealPII); err != nil {
		return "", err
	}
	t, err := s.task(ctx, releaseID, taskID)
	if err != nil {
		return "", err
	}
	if err := s.Store.Audit(ctx, "pii.reveal", "household", t.HouseholdNumber, fmt.Sprintf("phone of %s to call (release %d task %d)", t.PersonName, t.ReleaseID, t.ID)); err != nil {
		return "", err
	}
	return t.Phone, nil
}
