// Package accounts is the use-case layer of users, their API tokens and
// the audit trail they leave: each method checks the acting user's
// permission and calls the store, which writes the audit rows of its
// changes in the same transaction.
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

// Users lists the users an admin manages.
func (s *Service) Users(ctx context.Context) ([]*backstop.User, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageUsers); err != nil {
		return nil, err
	}
	items, err := s.Store.FindUsers(ctx)
	if items == nil {
		items = []*backstop.User{}
	}
	return items, err
}

// CreateUser stores a new user with a password.
func (s *Service) CreateUser(ctx context.Context, u *backstop.User, password string) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManageUsers); err != nil {
		return err
	}
	return s.Store.CreateUser(ctx, u, password)
}

// UpdateUser changes a user's display name, role, region or disabled flag.
func (s *Service) UpdateUser(ctx context.Context, u *backstop.User) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManageUsers); err != nil {
		return err
	}
	return s.Store.UpdateUser(ctx, u)
}

// CreateToken makes an API token for the acting user; the secret is
// returned once.
func (s *Service) CreateToken(ctx context.Context, userName, name string, ttl time.Duration) (string, *backstop.Token, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return "", nil, err
	}
	return s.Store.CreateToken(ctx, userName, name, ttl)
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
