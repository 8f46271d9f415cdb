package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Link is an opened link to a helper's or cadre's phone page: the phone it
// was sent to, whose open tasks across releases (and campaigns) it shows.
// Its holder acts without an account, only on the tasks assigned to that
// phone.
type Link struct {
	Assignee string // the assignee's phone
	Expires  time.Time
	user     *backstop.User
}

// OpenLink resolves a link token; addr is where the request came from,
// for the audit trail. An unknown token is ENOTFOUND, an expired one
// EUNAUTHORIZED (its message says when it expired).
func (s *Service) OpenLink(ctx context.Context, token, addr string) (*Link, error) {
	phone, expires, err := s.Store.LinkAssignee(ctx, token, s.now())
	if err != nil {
		return nil, err
	}
	return &Link{Assignee: phone, Expires: expires, user: &backstop.User{Name: "link:" + backstop.MaskPhone(phone), Role: backstop.RoleVillage,
		Region: backstop.NationalScope, Via: "link", Addr: addr}}, nil
}

// Context carries the link's holder as the acting user: a village role
// over the whole country, limited by the link's methods to its own tasks.
func (l *Link) Context(ctx context.Context) context.Context {
	return backstop.NewContextWithUser(ctx, l.user)
}

// LinkTasks lists the link's tasks (phones masked), open ones first, and
// records that the link was opened.
func (s *Service) LinkTasks(ctx context.Context, l *Link, limit int) ([]*backstop.FieldTask, int, error) {
	ctx = l.Context(ctx)
	tasks, total, err := s.Store.FindTasks(ctx, backstop.TaskFilter{Assignee: l.Assignee, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	MaskTasks(tasks)
	if err := s.Store.Audit(ctx, "link.open", "link", backstop.MaskPhone(l.Assignee), fmt.Sprintf("%d tasks", total)); err != nil {
		return nil, 0, err
	}
	return tasks, total, nil
}

// linkTask loads one of the link's tasks.
func (s *Service) linkTask(ctx context.Context, l *Link, taskID int64) (*backstop.FieldTask, error) {
	ts, _, err := s.Store.FindTasks(ctx, backstop.TaskFilter{Assignee: l.Assignee, ID: taskID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到确认任务%d", "Task %d not found.", taskID)
	}
	return ts[0], nil
}

// LinkConfirm records an outcome for one of the link's tasks.
func (s *Service) LinkConfirm(ctx context.Context, l *Link, taskID int64, outcome, note string) (*backstop.FieldTask, error) {
	ctx = l.Context(ctx)
	if _, err := s.linkTask(ctx, l, taskID); err != nil {
		return nil, err
	}
	return s.Confirm(ctx, taskID, outcome, note, "link:"+backstop.MaskPhone(l.Assignee))
}

// LinkCall reveals the phone of one of the link's tasks' person, so that
// the helper can call; audited.
func (s *Service) LinkCall(ctx context.Context, l *Link, taskID int64) (string, error) {
	ctx = l.Context(ctx)
	t, err := s.linkTask(ctx, l, taskID)
	if err != nil {
		return "", err
	}
	if err := s.Store.Audit(ctx, "pii.reveal", "household", t.HouseholdNumber, fmt.Sprintf("phone of %s to call, by the assignee's link (task %d)", t.PersonName, t.ID)); err != nil {
		return "", err
	}
	return t.Phone, nil
}

// LinkRelease is what the helper's page says of a release the link has
// tasks in: the warning (hazard, level, area, time window, what to do)
// and the confirmation deadline.
type LinkRelease struct {
	ReleaseID int64
	Test      bool
	Deadline  time.Time
	// Provisional: the deadline was counted Monday to Friday through a
	// year whose official working-day calendar is not loaded.
	Provisional bool
	Warning     *backstop.Warning
}

// LinkReleases describes the releases of the given tasks (tasks of the
// link, as LinkTasks listed them: what it tells is the warning, which is
// public); tasks outside a release (visits of a campaign) have none.
func (s *Service) LinkReleases(ctx context.Context, l *Link, tasks []*backstop.FieldTask) (map[int64]*LinkRelease, error) {
	ctx = l.Context(ctx)
	out := map[int64]*LinkRelease{}
	for _, t := range tasks {
		if t.ReleaseID == 0 || out[t.ReleaseID] != nil {
			continue
		}
		r, err := s.Store.FindRelease(ctx, t.ReleaseID)
		if err != nil {
			return nil, err
		}
		w, err := s.Store.FindWarning(ctx, r.WarningID)
		if err != nil {
			return nil, err
		}
		lr := &LinkRelease{ReleaseID: r.ID, Test: r.Test, Deadline: r.Deadline, Warning: w}
		if c, err := s.Store.FindClock(ctx, backstop.ClockReleaseConfirm, fmt.Sprintf("release:%d", r.ID)); err == nil {
			lr.Deadline, lr.Provisional = c.Due, c.Provisional
		} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
			return nil, err
		}
		out[r.ID] = lr
	}
	return out, nil
}

// LinkConfirmAll records one outcome for several of the link's tasks at
// once (a household's persons, told together); tasks with an outcome
// already are left as they are. It returns the tasks it recorded.
func (s *Service) LinkConfirmAll(ctx context.Context, l *Link, taskIDs []int64, outcome, note string) ([]*backstop.FieldTask, error) {
	if len(taskIDs) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "没有选择要确认的人员", "No task to confirm was given.")
	}
	if len(taskIDs) > 100 {
		return nil, backstop.Localized(backstop.EINVALID, "一次最多确认100人，收到%d人", "At most 100 tasks are confirmed at once, not %d.", len(taskIDs))
	}
	lctx := l.Context(ctx)
	var out []*backstop.FieldTask
	for _, id := range taskIDs {
		t, err := s.linkTask(lctx, l, id)
		if err != nil {
			return out, err
		}
		if !t.Open() {
			continue
		}
		done, err := s.LinkConfirm(ctx, l, id, outcome, note)
		if err != nil {
			return out, err
		}
		out = append(out, done)
	}
	return out, nil
}
