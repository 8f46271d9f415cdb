// Package accounts is the use-case layer of users, their API tokens and
// the audit trail they leave: each method checks the acting user's
// permission and calls the store, which writes the audit rows of its
// changes in the same transaction.
//
// Who manages whom: only admins (users:manage) manage users, and a scoped
// admin only those inside its region whose role is no higher than its own
// (backstop.User.Manages; the order is in backstop.Role.AtMost). It
// grants no wider region and no higher role. The service refuses early
// with a clear answer; the store enforces the same rules in its queries,
// so that no other edge (the CLI, a future one) can skip them.
package accounts

import (
	"context"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Store is what accounts need of storage.
type Store interface {
	backstop.UserService
	backstop.AuditService
}

// Service runs the account use cases.
type Service struct {
	Store Store
}

// Users pages the users the acting admin manages.
func (s *Service) Users(ctx context.Context, f backstop.UserFilter) ([]*backstop.User, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageUsers); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.FindUsers(ctx, f)
	if items == nil {
		items = []*backstop.User{}
	}
	return items, total, err
}

// User returns one user: oneself, or one the actor manages.
func (s *Service) User(ctx context.Context, name string) (*backstop.User, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	return s.Store.FindUser(ctx, name)
}

// checkGrant refuses early a role or region the actor may not give. The
// region is checked as given when it is a valid code (the store checks it
// again, normalised, with the rest of the fields).
func checkGrant(actor *backstop.User, role backstop.Role, region string) error {
	if _, err := backstop.ParseRole(string(role)); err != nil {
		return err
	}
	if !role.AtMost(actor.Role) {
		return backstop.Localized(backstop.EFORBIDDEN, "您不能授予比自己高或不在同一序列的角色（%s）", "You may not grant a role (%s) above your own or beside it.", backstop.Term(backstop.TermRole, string(role)))
	}
	code := region
	if region != backstop.NationalScope {
		var err error
		if code, err = backstop.NormalizeRegionCode(region); err != nil {
			return nil // the store names the field
		}
	}
	if !actor.Manages(role, code) {
		return backstop.Localized(backstop.EFORBIDDEN, "区划 %s 不在您的管辖范围内，您只能管理本辖区内的用户", "Region %s is outside your scope; you manage only users inside it.", code)
	}
	return nil
}

// CreateUser stores a new user with a password, inside the admin's scope.
func (s *Service) CreateUser(ctx context.Context, u *backstop.User, password string) error {
	actor, err := backstop.Authorize(ctx, backstop.PermManageUsers)
	if err != nil {
		return err
	}
	if err := checkGrant(actor, u.Role, u.Region); err != nil {
		return err
	}
	return s.Store.CreateUser(ctx, u, password)
}

// UpdateUser changes a user's display name, role, region or disabled flag.
func (s *Service) UpdateUser(ctx context.Context, u *backstop.User) error {
	actor, err := backstop.Authorize(ctx, backstop.PermManageUsers)
	if err != nil {
		return err
	}
	if err := checkGrant(actor, u.Role, u.Region); err != nil {
		return err
	}
	return s.Store.UpdateUser(ctx, u)
}

// Change reads a user the admin manages, applies change to it and stores
// it (UpdateUser's rules hold: the result must be in scope too).
func (s *Service) Change(ctx context.Context, name string, change func(u *backstop.User)) (*backstop.User, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageUsers); err != nil {
		return nil, err
	}
	u, err := s.Store.FindUser(ctx, name)
	if err != nil {
		return nil, err
	}
	change(u)
	if err := s.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SetDisabled disables a user (its sessions end, its tokens are revoked)
// or enables it again.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) (*backstop.User, error) {
	return s.Change(ctx, name, func(u *backstop.User) { u.Disabled = disabled })
}

// SetPassword changes one's own password (with the current one) or, for
// an admin, resets that of a user it manages.
func (s *Service) SetPassword(ctx context.Context, name, current, password string) error {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, name, current, password)
}

// CreateToken makes an API token for oneself, or, for an admin, for a
// user it manages; the secret is returned once.
func (s *Service) CreateToken(ctx context.Context, userName, name string, ttl time.Duration) (string, *backstop.Token, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return "", nil, err
	}
	return s.Store.CreateToken(ctx, userName, name, ttl)
}

// Tokens pages a user's tokens: one's own, or, for an admin, those of a
// user it manages.
func (s *Service) Tokens(ctx context.Context, userName string, limit, offset int) ([]*backstop.Token, int, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, 0, err
	}
	return s.Store.FindTokens(ctx, userName, limit, offset)
}

// RevokeToken revokes one of a user's tokens (same rule as Tokens).
func (s *Service) RevokeToken(ctx context.Context, userName string, id int64) error {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return err
	}
	return s.Store.RevokeToken(ctx, userName, id)
}

// Audit pages the audit trail.
func (s *Service) Audit(ctx context.Context, f backstop.AuditFilter) ([]*backstop.AuditEntry, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadAudit); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.FindAudit(ctx, f)
	if items == nil {
		items = []*backstop.AuditEntry{}
	}
	return items, total, err
}

// RecordListExport audits an export of a list page (warnings, releases,
// the audit trail, contacts …) before its first byte is written: list
// names it, filter is the query it was filtered by. It needs perm, the
// permission of the data the list holds.
func (s *Service) RecordListExport(ctx context.Context, perm backstop.Permission, list, filter string) error {
	if _, err := backstop.Authorize(ctx, perm); err != nil {
		return err
	}
	return s.Store.Audit(ctx, "list.export", "list", list, filter)
}
