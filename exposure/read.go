package exposure

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/zhangye-backstop/backstop"
)

// View is a warning's exposure as a user may see it: the totals and
// breakdowns within the user's region, and a page of the ranked
// households (phones masked) for users who may read the registry.
type View struct {
	*backstop.Exposure
	Ranked      []*backstop.ExposedHousehold
	RankedTotal int
	// CanSeeHouseholds is false for roles that see counts only.
	CanSeeHouseholds bool
}

// Find returns the latest exposure of a warning in the user's region with
// a page of its ranked list.
func (s *Service) Find(ctx context.Context, warningID int64, offset, limit int) (*View, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadWarnings)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.FindWarning(ctx, warningID); err != nil {
		return nil, err
	}
	e, err := s.Store.FindExposure(ctx, warningID)
	if err != nil {
		return nil, err
	}
	v := &View{Exposure: e, Ranked: []*backstop.ExposedHousehold{}}
	if u.Can(backstop.PermReadRegistry) && limit > 0 {
		v.CanSeeHouseholds = true
		items, total, err := s.Store.FindExposedHouseholds(ctx, e.SnapshotID, offset, limit)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			it.Phone, it.HelperPhone = backstop.MaskPhone(it.Phone), backstop.MaskPhone(it.HelperPhone)
		}
		v.Ranked, v.RankedTotal = items, total
	}
	return v, nil
}

// Recompute computes a warning's exposure again against the registry as
// it is now, on a user's request; audited.
func (s *Service) Recompute(ctx context.Context, warningID int64) (*backstop.ExposureSnapshot, error) {
	u, err := backstop.Authorize(ctx, backstop.PermWriteWarnings)
	if err != nil {
		return nil, err
	}
	w, err := s.Store.FindWarning(ctx, warningID)
	if err != nil {
		return nil, err
	}
	// The snapshot is everyone's: only a user whose region the warning
	// meets computes it again.
	if !backstop.RegionsOverlap(w.Region, u.Region) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "预警%d的区域（区划%s）与您的管辖范围（%s）不相交：不能重新计算其影响",
			"Warning %d covers region %s, which does not meet your region %s: you cannot compute its exposure again.", w.ID, w.Region, u.Region)
	}
	snap, err := s.Compute(ctx, w)
	if err != nil {
		return nil, err
	}
	households := 0
	for _, c := range snap.Villages {
		households += c.Households
	}
	if err := s.Store.Audit(ctx, "exposure.compute", "warning", strconv.FormatInt(warningID, 10),
		fmt.Sprintf("registry revision %d: %d households", snap.RegistryRev, households)); err != nil {
		return nil, err
	}
	return snap, nil
}

// Export writes the exposure of a warning in the user's region as an xlsx
// sheet (phones masked); audited before the first byte is written.
func (s *Service) Export(ctx context.Context, w io.Writer, warningID int64) error {
	if _, err := backstop.Authorize(ctx, backstop.PermExport); err != nil {
		return err
	}
	e, err := s.Store.FindExposure(ctx, warningID)
	if err != nil {
		return err
	}
	if err := s.Store.Audit(ctx, "exposure.export", "warning", strconv.FormatInt(warningID, 10), fmt.Sprintf("snapshot %d", e.SnapshotID)); err != nil {
		return err
	}
	return writeSheet(ctx, w, s.Store, e)
}

// ExportName is the download name of a warning's exposure sheet.
func ExportName(warningID int64) string { return fmt.Sprintf("warning-%d-exposure.xlsx", warningID) }
