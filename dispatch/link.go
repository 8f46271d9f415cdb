package dispatch

import (
	"context"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

// Link is an opened confirmation link: the helper or cadre it was sent to
// and the release it came with. Its holder acts without an account, only
// on the tasks assigned to that phone.
type Link struct {
	Release  *backstop.Release
	Assignee string // the assignee's phone
	user     *backstop.User
}

// OpenLink resolves a link token; addr is where the request came from,
// for the audit trail. An unknown or expired token is ENOTFOUND.
func (s *Service) OpenLink(ctx context.Context, token, addr string) (*Link, error) {
	releaseID, phone, err := s.Store.LinkAssignee(ctx, token)
	if err != nil {
		return nil, backstop.Localized(backstop.ENOTFOUND, "链接无效或已过期", "The link is not valid or has expired.")
	}
	l := &Link{Assignee: phone, user: &backstop.User{Name: "link:" + backstop.MaskPhone(phone), Role: backstop.RoleVillage,
		Region: backstop.NationalScope, Via: "link", Addr: addr}}
	if l.Release, err = s.Store.FindRelease(l.Context(ctx), releaseID); err != nil {
		return nil, err
	}
	return l, nil
}

// Context carries the link's holder as the acting user: a village role
// over the whole city, limited by the link's methods to its own tasks.
func (l *Link) Context(ctx context.Context) context.Context {
	return backstop.NewContextWithUser(ctx, l.user)
}

// LinkTasks lists the link's tasks (phones masked) and records that the link
// was opened.
func (s *Service) LinkTasks(ctx context.Context, l *Link, limit int) ([]*backstop.ConfirmationTask, int, error) {
	ctx = l.Context(ctx)
	tasks, total, err := s.Store.FindTasks(ctx, backstop.TaskFilter{ReleaseID: l.Release.ID, Assignee: l.Assignee, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	MaskTasks(tasks)
	if err := s.Store.Audit(ctx, "link.open", "release", fmt.Sprint(l.Release.ID), fmt.Sprintf("confirmation link of %s: %d tasks", backstop.MaskPhone(l.Assignee), total)); err != nil {
		return nil, 0, err
	}
	return tasks, total, nil
}

// LinkConfirm records an outcome for one of the link's tasks.
func (s *Service) LinkConfirm(ctx context.Context, l *Link, taskID int64, outcome, note string) (*backstop.ConfirmationTask, error) {
	ctx = l.Context(ctx)
	if _, err := s.task(ctx, l.Release.ID, taskID, l.Assignee); err != nil {
		return nil, err
	}
	return s.Confirm(ctx, taskID, outcome, note, "link:"+backstop.MaskPhone(l.Assignee))
}

// LinkCall reveals the phone of one of the link's tasks' person, so that
// the helper can call; audited.
func (s *Service) LinkCall(ctx context.Context, l *Link, taskID int64) (string, error) {
	ctx = l.Context(ctx)
	t, err := s.task(ctx, l.Release.ID, taskID, l.Assignee)
	if err != nil {
		return "", err
	}
	if err := s.Store.Audit(ctx, "pii.reveal", "household", t.HouseholdNumber, fmt.Sprintf("phone of %s to call, by the assignee's link (release %d task %d)", t.PersonName, l.Release.ID, t.ID)); err != nil {
		return "", err
	}
	return t.Phone, nil
}
