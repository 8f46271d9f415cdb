// Package policy is the use-case layer of policy parameters: versions of
// thresholds, clocks, standards, rates and lists, each with its effective
// dates and source.
package policy

import (
	"context"

	"github.com/zhangye-backstop/backstop"
)

// Store is what policies need of storage.
type Store interface {
	backstop.PolicyService
}

// Service runs the policy use cases.
type Service struct {
	Store Store
}

// Find lists the versions of a key ("" for all keys).
func (s *Service) Find(ctx context.Context, key string) ([]*backstop.Policy, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	items, err := s.Store.FindPolicies(ctx, key)
	if items == nil {
		items = []*backstop.Policy{}
	}
	return items, err
}

// Create adds a version of a key.
func (s *Service) Create(ctx context.Context, p *backstop.Policy) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManagePolicy); err != nil {
		return err
	}
	return s.Store.CreatePolicy(ctx, p)
}
