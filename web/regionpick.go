package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// A region is chosen with a cascader (县区 → 乡镇 → 村), never by typing a
// code: one <select> per level below the user's scope, all named as the
// field, the deepest chosen one winning. Without JavaScript each change
// takes effect when the form is sent; with it, the next level is filled
// at once from /regions/options.

// regionPick is the cascader of one form field.
type regionPick struct {
	Name   string
	Value  string
	Levels []pickLevel
	// Fixed is the user's own region when there is nothing to choose
	// (a village user).
	Fixed string
}

type pickLevel struct {
	Level    string // county, township, village
	Options  []*backstop.Region
	Selected string
}

// pickLevels are the levels a cascader offers, from the top.
var pickLevels = []backstop.RegionLevel{backstop.LevelCounty, backstop.LevelTownship, backstop.LevelVillage}

// regionPicker builds the cascader of field name with value selected,
// below the user's scope.
func (h *Handler) regionPicker(r *http.Request, name, value string) (*regionPick, error) {
	return h.regionPickerOf(r, name, value, pickLevels)
}

// userPickLevels are the levels a user's region is chosen from: a
// national admin gives city users too.
var userPickLevels = append([]backstop.RegionLevel{backstop.LevelCity}, pickLevels...)

// regionPickerOf builds a cascader over levels (from the top).
func (h *Handler) regionPickerOf(r *http.Request, name, value string, levels []backstop.RegionLevel) (*regionPick, error) {
	u := backstop.UserFromContext(r.Context())
	p := &regionPick{Name: name, Value: value}
	scope := u.Region
	var parent *backstop.Region
	if scope != backstop.NationalScope {
		reg, err := h.cfg.Registry.Region(r.Context(), scope, false)
		if err != nil {
			return nil, err
		}
		parent = reg
	}
	for _, lvl := range levels {
		if parent != nil && parent.Level >= lvl {
			continue
		}
		var opts []*backstop.Region
		var err error
		switch {
		case parent != nil:
			opts, _, err = h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Parent: parent.Code, Limit: 1000})
		default:
			within := ""
			if scope != backstop.NationalScope {
				within = scope
			}
			opts, _, err = h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Level: lvl, Within: within, Limit: 1000})
		}
		if err != nil {
			return nil, err
		}
		if len(opts) == 0 {
			break
		}
		pl := pickLevel{Level: lvl.String(), Options: opts}
		var next *backstop.Region
		for _, o := range opts {
			if value != "" && backstop.CodeWithin(value, o.Code) {
				pl.Selected, next = o.Code, o
			}
		}
		p.Levels = append(p.Levels, pl)
		if next == nil {
			break
		}
		parent = next
	}
	if len(p.Levels) == 0 {
		p.Fixed = h.regionName(r.Context(), scope, langOf(r))
	}
	return p, nil
}

// pickedRegion reads a cascader's value from the values of its field: the
// deepest one that lies within the one before it (a county changed
// without JavaScript leaves the old township selected: that one no longer
// counts). An empty result means no region was chosen.
func pickedRegion(values []string) (string, error) {
	picked := ""
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		code, err := backstop.NormalizeRegionCode(v)
		if err != nil {
			return "", err
		}
		if picked == "" || backstop.CodeWithin(code, picked) {
			picked = code
		}
	}
	return picked, nil
}

// collapseRegion replaces the cascader's several values in the request's
// query by the one picked, for the readers of a single value.
func collapseRegion(r *http.Request, name string) error {
	q := r.URL.Query()
	if len(q[name]) <= 1 {
		return nil
	}
	code, err := pickedRegion(q[name])
	if err != nil {
		return err
	}
	if code == "" {
		q.Del(name)
	} else {
		q.Set(name, code)
	}
	r.URL.RawQuery = q.Encode()
	return nil
}

// regionChildren answers the cascader's script: the children of a region
// in the user's scope, as [{code, name}].
func (h *Handler) regionChildren(w http.ResponseWriter, r *http.Request) error {
	parent, err := backstop.NormalizeRegionCode(r.URL.Query().Get("parent"))
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	if u.Region != backstop.NationalScope && !backstop.CodeWithin(parent, u.Region) {
		return backstop.Localized(backstop.ENOTFOUND, "该区划不在您的管辖范围内", "The region is outside your scope.")
	}
	kids, _, err := h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Parent: parent, Limit: 1000})
	if err != nil {
		return err
	}
	type opt struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	out := make([]opt, len(kids))
	for i, k := range kids {
		out[i] = opt{k.Code, k.Name}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, max-age=300")
	return json.NewEncoder(w).Encode(out)
}
