package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/httpx"
)

// regionView adds the level name, and counts when asked.
type regionView struct {
	*backstop.Region
	LevelName string          `json:"level"`
	Counts    *countsView     `json:"counts,omitempty"`
	Boundary  json.RawMessage `json:"boundary,omitempty"`
}

type countsView struct {
	Households int            `json:"households"`
	People     int            `json:"people"`
	Groups     map[string]int `json:"groups"`
}

// CountsView turns region counts into their JSON shape.
func CountsView(c *backstop.RegionCounts) *countsView {
	if c == nil {
		c = &backstop.RegionCounts{}
	}
	v := &countsView{Households: c.Households, People: c.People, Groups: map[string]int{}}
	for _, g := range backstop.Groups {
		v.Groups[g.String()] = c.Groups[g]
	}
	return v
}

func (s *Server) listRegions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.RegionFilter{Parent: q.Get("parent"), Within: q.Get("within"), Query: q.Get("q")}
	if v := q.Get("level"); v != "" {
		l, ok := backstop.ParseRegionLevel(v)
		if !ok {
			return backstop.Localized(backstop.EINVALID, "层级只能是 province、city、county、township 或 village，不能是“%s”", "level must be province, city, county, township or village, not %q", v)
		}
		f.Level = l
	}
	var err error
	if f.Limit, f.Offset, err = page(r, 1000); err != nil {
		return err
	}
	items, total, err := s.cfg.Registry.Regions(r.Context(), f)
	if err != nil {
		return err
	}
	var counts map[string]*backstop.RegionCounts
	if httpx.Truthy(r, "counts") && f.Parent != "" {
		if counts, err = s.cfg.Registry.RegionCounts(r.Context(), f.Parent); err != nil {
			return err
		}
	}
	out := list[regionView]{Items: make([]regionView, len(items)), Total: total}
	for i, reg := range items {
		out.Items[i] = regionView{Region: reg, LevelName: reg.Level.String()}
		if httpx.Truthy(r, "counts") {
			if counts == nil {
				c, err := s.cfg.Registry.RegionCounts(r.Context(), reg.Code)
				if err != nil {
					return err
				}
				out.Items[i].Counts = CountsView(c[reg.Code])
			} else {
				out.Items[i].Counts = CountsView(counts[reg.Code])
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getRegion(w http.ResponseWriter, r *http.Request) error {
	withBoundary := httpx.Truthy(r, "boundary")
	reg, err := s.cfg.Registry.Region(r.Context(), r.PathValue("code"), withBoundary)
	if err != nil {
		return err
	}
	v := regionView{Region: reg, LevelName: reg.Level.String()}
	if withBoundary && reg.Boundary != nil {
		v.Boundary = geo.MarshalGeometry(reg.Boundary)
	}
	// Counts of households come along for those who may read them.
	counts, err := s.cfg.Registry.RegionCounts(r.Context(), reg.Code)
	switch backstop.ErrorCode(err) {
	case "":
		v.Counts = CountsView(counts[reg.Code])
	case backstop.EFORBIDDEN:
	default:
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// regionRoutes are the routes of this file.
func (s *Server) regionRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/regions", summary: "List regions", tag: "regions", response: "RegionList",
			params: append([]param{
				{name: "parent", in: "query", typ: "string", format: "region", desc: "direct children of this code"},
				{name: "within", in: "query", typ: "string", format: "region", desc: "everything inside this code"},
				{name: "level", in: "query", typ: "string", desc: "province, city, county, township or village", values: []string{"province", "city", "county", "township", "village"}},
				{name: "q", in: "query", typ: "string", desc: "part of the name"},
				{name: "counts", in: "query", typ: "boolean", desc: "add household and key-group counts (in your scope)"},
			}, pageParams...), access: access{scope: scopeNone}, handle: s.listRegions},
		{method: "GET", path: "/api/v1/regions/{code}", summary: "One region, optionally with its GeoJSON boundary", tag: "regions", response: "Region",
			params: []param{{name: "code", in: "path", typ: "string", required: true, desc: "region code"}, {name: "boundary", in: "query", typ: "boolean", desc: "include the boundary"}},
			access: access{scope: scopeShared}, handle: s.getRegion},
	}
}
