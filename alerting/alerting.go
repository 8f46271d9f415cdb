// Package alerting turns warnings from every source — CAP documents,
// department systems' JSON, the web form, polled feeds — into backstop
// warnings: hazard and level recognised, areas resolved to regions, the
// lifecycle (update, cancel) applied, and the exposure computed.
package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/capalert"
	"github.com/zhangye-backstop/backstop/egress"
)

// Exposer computes and stores a warning's exposure.
type Exposer interface {
	Compute(ctx context.Context, w *backstop.Warning) (*backstop.ExposureSnapshot, error)
}

// Reacher tells the villages of the households that drawn areas reach
// (the exposure index): alerting decides with it which regions a polygon
// or a circle covers. An Exposer that is one is used.
type Reacher interface {
	VillagesReached(ctx context.Context, polygons backstop.MultiPolygon, circles []backstop.CircleArea) ([]string, error)
}

// Store is what alerting needs of storage.
type Store interface {
	backstop.WarningService
	backstop.ConsultationService
	backstop.FeedService
	backstop.QuarantineService
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
	FindReleases(ctx context.Context, warningID int64) ([]*backstop.Release, error)
}

// inputStore is what an input needs to be turned into CAP.
type inputStore interface {
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
	FindWarning(ctx context.Context, id int64) (*backstop.Warning, error)
}

// Service ingests warnings.
type Service struct {
	Store   Store
	Exposer Exposer
	Logger  *slog.Logger
	// Sender is the CAP sender id of warnings made in backstop.
	Sender string
	// Region is the 6-digit region code used in identifiers of warnings
	// made in backstop when their areas name none.
	Region string
	Now    func() time.Time
	// Superseded, when set, hears of every stored Update or Cancel with
	// the warning it supersedes (targeted releases tell their duty groups).
	Superseded func(ctx context.Context, old int64, w *backstop.Warning)
	// Stored, when set, hears of every warning stored (departments'
	// subscriptions: warning.ingested, warning.updated).
	Stored func(ctx context.Context, w *backstop.Warning)
	// Outbound guards polled feeds: users add them, so every request and
	// connection is checked (egress). nil allows no internal host. Set it
	// before the first poll, which makes the client.
	Outbound *egress.Policy

	feedsOnce sync.Once
	feeds     *http.Client
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// IngestCAP parses, checks and stores a CAP document. A duplicate (same
// sender, identifier and sent) is ECONFLICT with the stored warning
// returned.
func (s *Service) IngestCAP(ctx context.Context, doc []byte, source string) (*backstop.Warning, error) {
	res, err := capalert.Parse(doc)
	if err != nil {
		return nil, err
	}
	return s.ingestParsed(ctx, res, doc, source)
}

// ingestParsed stores a parsed alert with its notes and the document as
// received.
func (s *Service) ingestParsed(ctx context.Context, res *capalert.Result, doc []byte, source string) (*backstop.Warning, error) {
	w, refs := FromCAP(res.Alert)
	w.Source = source
	w.CAP = doc
	w.Notes = append(w.Notes, res.Warnings...)
	return s.store(ctx, w, refs)
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) store(ctx context.Context, w *backstop.Warning, refs []backstop.WarningRef) (*backstop.Warning, error) {
	if err := s.resolveRegions(ctx, w); err != nil {
		return nil, err
	}
	if err := s.coverRegion(ctx, w); err != nil {
		return nil, err
	}
	if err := s.Store.CreateWarning(ctx, w, refs); err != nil {
		if backstop.ErrorCode(err) == backstop.ECONFLICT && w.ID != 0 {
			existing, ferr := s.Store.FindWarning(ctx, w.ID)
			if ferr == nil {
				return existing, err
			}
		}
		return nil, err
	}
	if s.Superseded != nil && w.Supersedes != 0 {
		s.Superseded(ctx, w.Supersedes, w)
	}
	if s.Exposer != nil && w.MsgType != "Cancel" {
		if _, err := s.Exposer.Compute(ctx, w); err != nil {
			// The warning is stored; its exposure can be computed again.
			s.logger().Error("exposure", "warning", w.ID, "err", err)
		}
	}
	if s.Stored != nil {
		s.Stored(ctx, w)
	}
	return w, nil
}

// FromCAP reduces a CAP alert to a warning: the Chinese info block when
// there is one (else the first), its areas, and the references an Update
// or Cancel supersedes.
func FromCAP(a *capalert.Alert) (*backstop.Warning, []backstop.WarningRef) {
	w := &backstop.Warning{Sender: a.Sender, Identifier: a.Identifier, Sent: a.Sent, Status: a.Status, MsgType: a.MsgType, Scope: a.Scope}
	var refs []backstop.WarningRef
	for _, r := range a.References {
		refs = append(refs, backstop.WarningRef{Sender: r.Sender, Identifier: r.Identifier})
	}
	if len(a.Infos) == 0 {
		w.Hazard = backstop.HazardOther
		return w, refs
	}
	in := a.Infos[0]
	for _, i := range a.Infos {
		if strings.HasPrefix(strings.ToLower(i.Language), "zh") {
			in = i
			break
		}
	}
	w.Event, w.Headline, w.Description, w.Instruction = in.Event, in.Headline, in.Description, in.Instruction
	w.SenderName, w.Language = in.SenderName, in.Language
	w.Severity, w.Urgency, w.Certainty = in.Severity, in.Urgency, in.Certainty
	w.Effective, w.Onset, w.Expires = in.Effective, in.Onset, in.Expires
	var texts []string
	for _, i := range a.Infos {
		texts = append(texts, i.Event)
	}
	texts = append(texts, in.Headline)
	for _, ec := range in.EventCodes {
		texts = append(texts, ec.Value)
	}
	w.Hazard = backstop.ClassifyHazard(texts...)
	w.Level = backstop.WarningLevel(capalert.ColourLevel(in.Headline + in.Event))
	if w.Level == "" {
		w.Level = backstop.WarningLevel(capalert.LevelOfSeverity[in.Severity])
	}
	for _, ar := range in.Areas {
		wa := backstop.WarningArea{Desc: ar.Desc}
		for _, p := range ar.Polygons {
			ring := make(backstop.Ring, len(p))
			for i, ll := range p {
				ring[i] = backstop.Point{Lon: ll.Lon, Lat: ll.Lat}
			}
			wa.Polygons = append(wa.Polygons, backstop.Polygon{ring})
		}
		for _, c := range ar.Circles {
			wa.Circles = append(wa.Circles, backstop.CircleArea{Centre: backstop.Point{Lon: c.Centre.Lon, Lat: c.Centre.Lat}, RadiusKM: c.RadiusKM})
		}
		for _, g := range ar.Geocodes {
			if capalert.IsCPEAS(g) {
				wa.Geocodes = append(wa.Geocodes, strings.TrimSpace(g.Value))
			}
		}
		w.Areas = append(w.Areas, wa)
	}
	return w, refs
}

// resolveRegions maps CPEAS codes to stored regions; an unknown code falls
// back to its nearest stored parent, and says so.
func (s *Service) resolveRegions(ctx context.Context, w *backstop.Warning) error {
	for i := range w.Areas {
		a := &w.Areas[i]
		a.Regions = nil
		for _, code := range a.Geocodes {
			norm, err := backstop.NormalizeRegionCode(code)
			if err != nil {
				w.Notes = append(w.Notes, backstop.Problem{Path: fmt.Sprintf("area[%d]/geocode", i), Reason: fmt.Sprintf("CPEAS code %s: %s", code, backstop.ErrorMessage(err)),
					ReasonZH: fmt.Sprintf("区划代码（CPEAS）%s 无法使用：%s", backstop.MaskCell(code), backstop.ErrorMessageZH(err))})
				continue
			}
			resolved := ""
			for c := norm; c != ""; c = backstop.ParentCodeOf(c) {
				if _, err := s.Store.FindRegion(ctx, c, false); err == nil {
					resolved = c
					break
				} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
					return err
				}
			}
			switch {
			case resolved == "":
				w.Notes = append(w.Notes, backstop.Problem{Path: fmt.Sprintf("area[%d]/geocode", i), Reason: fmt.Sprintf("CPEAS code %s is outside the regions held here", code),
					ReasonZH: fmt.Sprintf("区划代码%s不在本系统区划范围内", code)})
			case resolved != norm:
				w.Notes = append(w.Notes, backstop.Problem{Path: fmt.Sprintf("area[%d]/geocode", i), Reason: fmt.Sprintf("CPEAS code %s is unknown here; its parent %s is used", code, resolved),
					ReasonZH: fmt.Sprintf("区划代码%s未知，按其上级%s处理", code, resolved)})
				a.Regions = append(a.Regions, resolved)
			default:
				a.Regions = append(a.Regions, resolved)
			}
		}
	}
	return nil
}

// coverRegion sets the warning's region, which writes on it are scoped
// by: the smallest region holding every region its areas cover.
//
//   - An area given by region codes covers those regions: the resolved
//     ones, and a code unknown here as itself (it is somewhere, and not
//     inside a region held here).
//   - A drawn area (polygon or circle) covers the villages of the
//     households of the registry it reaches, from the exposure index: it
//     reaches whom it reaches, wherever its lines run. Without an index a
//     drawn area could be anywhere, and covers the whole country.
//
// A warning that covers nothing (a Cancel without areas, drawn areas over
// no household) is left without a region here; the store gives it that of
// the warnings it supersedes, else the issuer's.
func (s *Service) coverRegion(ctx context.Context, w *backstop.Warning) error {
	var codes []string
	for _, a := range w.Areas {
		codes = append(codes, a.Regions...)
		for _, g := range a.Geocodes {
			if norm, err := backstop.NormalizeRegionCode(g); err == nil {
				codes = append(codes, norm)
			}
		}
		if len(a.Polygons) == 0 && len(a.Circles) == 0 {
			continue
		}
		reacher, ok := s.Exposer.(Reacher)
		if !ok {
			codes = append(codes, backstop.NationalScope)
			continue
		}
		villages, err := reacher.VillagesReached(ctx, a.Polygons, a.Circles)
		if backstop.ErrorCode(err) == backstop.EUNAVAILABLE {
			codes = append(codes, backstop.NationalScope)
			continue
		} else if err != nil {
			return err
		}
		codes = append(codes, villages...)
	}
	w.Region = ""
	if len(codes) > 0 {
		w.Region = backstop.CommonRegion(codes...)
	}
	return nil
}
