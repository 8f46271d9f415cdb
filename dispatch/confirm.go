package dispatch

import (
	"context"

	"github.com/zhangye-backstop/backstop"
)

// ConfirmAll records one outcome for several tasks of a release at once
// (a household's persons, told together) by the signed-in user; tasks
// with an outcome already are left as they are. It returns the tasks it
// recorded.
func (s *Service) ConfirmAll(ctx context.Context, releaseID int64, taskIDs []int64, outcome, note string) ([]*backstop.FieldTask, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermConfirm); err != nil {
		return nil, err
	}
	if len(taskIDs) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "没有选择要确认的人员", "No task to confirm was given.")
	}
	if len(taskIDs) > 100 {
		return nil, backstop.Localized(backstop.EINVALID, "一次最多确认100人，收到%d人", "At most 100 tasks are confirmed at once, not %d.", len(taskIDs))
	}
	var out []*backstop.FieldTask
	for _, id := range taskIDs {
		t, err := s.task(ctx, releaseID, id)
		if err != nil {
			return out, err
		}
		if !t.Open() {
			continue
		}
		done, err := s.Confirm(ctx, id, outcome, note, "")
		if err != nil {
			return out, err
		}
		out = append(out, done)
	}
	return out, nil
}
