// Package exposure finds who a warning reaches: households inside its
// areas from the in-memory index, counted by place, key group, livelihood,
// housing and water, and ranked by vulnerability with the reasons.
package exposure

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
)

// Store is what exposure needs of storage.
type Store interface {
	backstop.HouseholdPointSource
	// FindHouseholds sizes the index before it is loaded.
	FindHouseholds(ctx context.Context, f backstop.HouseholdFilter) ([]*backstop.Household, int, error)
	backstop.ExposureService
	backstop.WarningService
	backstop.PolicyService
	backstop.AuditService
}

// Service keeps the household index in step with the registry and
// computes exposures.
type Service struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time

	mu     sync.Mutex // one sync at a time
	index  *geo.Index
	notify chan struct{}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// toPoint packs a household for the index.
func toPoint(p backstop.HouseholdPoint) geo.Point {
	gp := geo.Point{ID: p.ID, Lon: math.NaN(), Lat: math.NaN(), Village: p.VillageCode}
	if p.Location != nil {
		gp.Lon, gp.Lat = p.Location.Lon, p.Location.Lat
	}
	gp.Attr = geo.Attr{
		Groups:   uint8(p.Groups & backstop.StoredGroups),
		People:   uint8(min(p.People, 255)),
		Housing:  geo.GradeCodes[p.HousingGrade] | geo.StructureCodes[p.HousingStructure]<<3,
		Other:    geo.LivelihoodCodes[p.Livelihood] | geo.WaterCodes[p.WaterSource]<<4,
		Youngest: geo.DaysSince1900(p.YoungestBirth),
	}
	if p.RelocationHighRise {
		gp.Attr.Other |= 1 << 6
	}
	return gp
}

// Load builds the index from the store.
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	// Room for every household at once: growing a slice of millions
	// would copy it again and again.
	_, total, err := s.Store.FindHouseholds(backstop.NewContextWithUser(ctx, backstop.SystemUser("exposure")), backstop.HouseholdFilter{Limit: 1})
	if err != nil {
		return err
	}
	points := make([]geo.Point, 0, total+total/50+16)
	rev, err := s.Store.ScanHouseholdPoints(ctx, 0, func(p backstop.HouseholdPoint) error {
		if !p.Deleted {
			points = append(points, toPoint(p))
		}
		return nil
	})
	if err != nil {
		return err
	}
	ix := geo.NewIndex(points)
	ix.Apply(nil, nil, rev)
	s.index = ix
	if s.Logger != nil {
		s.Logger.Info("exposure index built", "households", ix.Len(), "took", time.Since(start).Round(time.Millisecond), "mib", ix.MemoryBytes()>>20)
	}
	return nil
}

// Index returns the current index (nil before Load).
func (s *Service) Index() *geo.Index {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index
}

// Sync applies the registry changes since the index's revision.
func (s *Service) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index == nil {
		return backstop.Localized(backstop.EUNAVAILABLE, "影响范围索引尚未建好，请稍后再试", "The exposure index is not built yet.")
	}
	var ups []geo.Point
	var dels []int64
	rev, err := s.Store.ScanHouseholdPoints(ctx, s.index.Rev(), func(p backstop.HouseholdPoint) error {
		if p.Deleted {
			dels = append(dels, p.ID)
		} else {
			ups = append(ups, toPoint(p))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rev > s.index.Rev() {
		s.index.Apply(ups, dels, rev)
	}
	return nil
}

// Notify asks the running loop to sync now (after a registry write in
// this process).
func (s *Service) Notify() {
	s.mu.Lock()
	ch := s.notify
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Run keeps the index in step until ctx ends: at every Notify, and every
// interval for writes made by other processes (a CLI import).
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	s.mu.Lock()
	s.notify = make(chan struct{}, 1)
	ch := s.notify
	s.mu.Unlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-ch:
		}
		if err := s.Sync(ctx); err != nil && ctx.Err() == nil && s.Logger != nil {
			s.Logger.Error("exposure index sync", "err", err)
		}
	}
}

// AreaOf is the query area of a warning: all its areas together.
func AreaOf(w *backstop.Warning) geo.Area {
	var a geo.Area
	for _, wa := range w.Areas {
		a.Polygons = append(a.Polygons, wa.Polygons...)
		for _, c := range wa.Circles {
			a.Circles = append(a.Circles, geo.Circle{Centre: c.Centre, RadiusKM: c.RadiusKM})
		}
		a.Regions = append(a.Regions, wa.Regions...)
	}
	return a
}

// VillagesReached returns the villages of the households inside drawn
// areas (polygons, circles), each once: which regions a drawn warning area
// covers is decided by whom it reaches (alerting.Reacher).
func (s *Service) VillagesReached(ctx context.Context, polygons backstop.MultiPolygon, circles []backstop.CircleArea) ([]string, error) {
	ix := s.Index()
	if ix == nil {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "影响范围索引尚未建好，请稍后再试", "The exposure index is not built yet.")
	}
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	a := geo.Area{Polygons: polygons}
	for _, c := range circles {
		a.Circles = append(a.Circles, geo.Circle{Centre: c.Centre, RadiusKM: c.RadiusKM})
	}
	hits := ix.Query(a)
	names := ix.Villages()
	seen := map[uint32]bool{}
	var out []string
	for _, at := range hits.Attrs {
		if !seen[at.Village] {
			seen[at.Village] = true
			out = append(out, names[at.Village])
		}
	}
	return out, nil
}

// Factor is one vulnerability factor: its policy key and how it reads.
type Factor struct {
	Key    string
	ZH, EN string
	Has    func(geo.Attr, string) bool
}

// elderly tells a household of one person aged the policy's elderly age
// or more on day.
func elderly(a geo.Attr, cutoff uint16) bool {
	return a.People == 1 && a.Youngest != 0 && a.Youngest <= cutoff
}

// Factors in the order reasons are written.
var Factors = []Factor{
	{"vulnerability.tekun", "特困", "tekun", func(a geo.Attr, _ string) bool { return backstop.Group(a.Groups)&backstop.GroupTekun != 0 }},
	{"vulnerability.elderly_alone", "独居老人", "elderly living alone", nil},
	{"vulnerability.monitored", "监测对象", "monitored", func(a geo.Attr, _ string) bool { return backstop.Group(a.Groups)&backstop.GroupMonitored != 0 }},
	{"vulnerability.disability", "有残疾人", "disability", func(a geo.Attr, _ string) bool { return backstop.Group(a.Groups)&backstop.GroupDisability != 0 }},
	{"vulnerability.dibao", "低保", "dibao", func(a geo.Attr, _ string) bool { return backstop.Group(a.Groups)&backstop.GroupDibao != 0 }},
	{"vulnerability.formerly_poor", "脱贫户", "formerly poor", func(a geo.Attr, _ string) bool { return backstop.Group(a.Groups)&backstop.GroupFormerlyPoor != 0 }},
	{"vulnerability.low_income", "低收入", "low income", func(a geo.Attr, _ string) bool { return backstop.Group(a.Groups)&backstop.GroupLowIncome != 0 }},
	{"vulnerability.house_d", "D级危房", "D-grade house", func(a geo.Attr, _ string) bool { return a.Grade() == geo.GradeCodes["D"] }},
	{"vulnerability.house_c", "C级危房", "C-grade house", func(a geo.Attr, _ string) bool { return a.Grade() == geo.GradeCodes["C"] }},
	{"vulnerability.earth_wood", "土木结构住房", "earth-wood house", func(a geo.Attr, _ string) bool { return a.Structure() == geo.StructureCodes["土木"] }},
	{"vulnerability.dispersed_water", "分散供水", "dispersed water supply", func(a geo.Attr, _ string) bool { return a.Water() == geo.WaterCodes["分散供水"] }},
	{"vulnerability.high_rise", "易地扶贫搬迁高楼", "relocation high-rise", func(a geo.Attr, _ string) bool { return a.Relocation() }},
}

// elderlyAge reads the age from which a person living alone is elderly,
// and its policy id.
func (s *Service) elderlyAge(ctx context.Context) (int, int64, error) {
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyElderlyAge, backstop.NationalScope, s.now())
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return 0, 0, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员设置", "The policy %s is not set: an admin must add a version.", backstop.PolicyElderlyAge)
	} else if err != nil {
		return 0, 0, err
	}
	return int(p.Value), p.ID, nil
}

// weights reads the factor weights in force and their policy ids.
func (s *Service) weights(ctx context.Context) ([]float64, []int64, error) {
	w := make([]float64, len(Factors))
	var ids []int64
	for i, f := range Factors {
		p, err := s.Store.PolicyAt(ctx, f.Key, backstop.NationalScope, s.now())
		if backstop.ErrorCode(err) == backstop.ENOTFOUND {
			// Never a silent zero: a ranking without a weight would put
			// that group last without saying so.
			return nil, nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员设置", "The policy %s is not set: an admin must add a version.", f.Key)
		} else if err != nil {
			return nil, nil, err
		}
		w[i] = p.Value
		ids = append(ids, p.ID)
	}
	return w, ids, nil
}

// Compute finds the warning's exposed households, counts and ranks them,
// and stores the snapshot.
func (s *Service) Compute(ctx context.Context, w *backstop.Warning) (*backstop.ExposureSnapshot, error) {
	ix := s.Index()
	if ix == nil {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "影响范围索引尚未建好，请稍后再试", "The exposure index is not built yet.")
	}
	// Catch up with writes first, so the snapshot is as of now.
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	weights, policyIDs, err := s.weights(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	hits := ix.Query(AreaOf(w))
	age, ageID, err := s.elderlyAge(ctx)
	if err != nil {
		return nil, err
	}
	policyIDs = append(policyIDs, ageID)
	snap := Summarise(ix, &hits, weights, age, s.now())
	snap.TookMS = float64(time.Since(start).Microseconds()) / 1000
	snap.WarningID, snap.ComputedAt, snap.RegistryRev, snap.PolicyIDs = w.ID, s.now(), ix.Rev(), policyIDs
	if _, err := s.Store.SaveExposure(ctx, snap); err != nil {
		return nil, fmt.Errorf("save exposure: %w", err)
	}
	return snap, nil
}

var (
	gradeNames      = invert(geo.GradeCodes)
	structureNames  = invert(geo.StructureCodes)
	livelihoodNames = invert(geo.LivelihoodCodes)
	waterNames      = invert(geo.WaterCodes)
)

func invert(m map[string]uint8) map[uint8]string {
	out := map[uint8]string{0: "unknown"}
	for k, v := range m {
		out[v] = k
	}
	return out
}

// Summarise counts hits per village and ranks them by score (ties by id).
func Summarise(ix *geo.Index, hits *geo.Result, weights []float64, elderlyAge int, now time.Time) *backstop.ExposureSnapshot {
	villages := ix.Villages()
	cutoff := geo.DaysSince1900(now.AddDate(-elderlyAge, 0, 0).Format("2006-01-02"))
	snap := &backstop.ExposureSnapshot{Villages: map[string]*backstop.ExposureCounts{}}
	ranked := make([]backstop.RankedHousehold, 0, hits.Len())
	for i, id := range hits.IDs {
		h := struct {
			ID   int64
			Attr geo.Attr
		}{int64(id), hits.Attrs[i]}
		code := villages[h.Attr.Village]
		c := snap.Villages[code]
		if c == nil {
			c = backstop.NewExposureCounts()
			snap.Villages[code] = c
		}
		people := int(h.Attr.People)
		c.Households++
		c.People += people
		groups := backstop.Group(h.Attr.Groups)
		if elderly(h.Attr, cutoff) {
			groups |= backstop.GroupElderlyAlone
		}
		for _, g := range backstop.Groups {
			if groups&g != 0 {
				c.Groups[g.String()]++
				c.GroupPeople[g.String()] += people
			}
		}
		c.Livelihood[livelihoodNames[h.Attr.Livelihood()]]++
		c.HousingGrade[gradeNames[h.Attr.Grade()]]++
		c.Structure[structureNames[h.Attr.Structure()]]++
		c.WaterSource[waterNames[h.Attr.Water()]]++
		score := 0.0
		var reasons []string
		for i, f := range Factors {
			has := false
			if f.Has == nil {
				has = elderly(h.Attr, cutoff)
			} else {
				has = f.Has(h.Attr, code)
			}
			if has && weights[i] > 0 {
				score += weights[i]
				reasons = append(reasons, f.ZH)
			}
		}
		ranked = append(ranked, backstop.RankedHousehold{HouseholdID: h.ID, VillageCode: code, Score: int(math.Round(score)), Reasons: reasons})
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].Score != ranked[j].Score {
			return ranked[i].Score > ranked[j].Score
		}
		return ranked[i].HouseholdID < ranked[j].HouseholdID
	})
	snap.Ranked = ranked
	return snap
}
