package registry

import (
	"context"

	"github.com/zhangye-backstop/backstop"
)

// Regions lists administrative divisions. Names and boundaries are public
// to signed-in users; counts are not part of this.
func (s *Service) Regions(ctx context.Context, f backstop.RegionFilter) ([]*backstop.Region, int, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.FindRegions(ctx, f)
	if items == nil {
		items = []*backstop.Region{}
	}
	return items, total, err
}

// Region returns one division, with its boundary when asked.
func (s *Service) Region(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	return s.Store.FindRegion(ctx, code, withBoundary)
}

// RegionCounts counts households and key groups in the user's scope under
// parent, by its direct children and in total. Roles that may not read the
// registry see no counts of households.
func (s *Service) RegionCounts(ctx context.Context, parent string) (map[string]*backstop.RegionCounts, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	return s.Store.RegionCounts(ctx, parent)
}

// ImportRegions creates or updates divisions (admins).
func (s *Service) ImportRegions(ctx context.Context, regions []*backstop.Region) (backstop.RegionImportResult, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageRegions); err != nil {
		return backstop.RegionImportResult{}, err
	}
	return s.Store.ImportRegions(ctx, regions)
}
