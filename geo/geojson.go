// Package geo holds backstop's geometry: GeoJSON in and out, prepared
// polygons, and the in-memory index of household positions.
package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometries  []geometry      `json:"geometries"`
}

// ParseGeometry reads a GeoJSON Polygon, MultiPolygon or a
// GeometryCollection of them into a MultiPolygon, checking that every
// position is a WGS84 longitude/latitude and every ring is closed with at
// least four positions.
func ParseGeometry(raw []byte) (backstop.MultiPolygon, error) {
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("geometry is not valid GeoJSON: %v", err)
	}
	return g.multiPolygon()
}

func (g geometry) multiPolygon() (backstop.MultiPolygon, error) {
	switch g.Type {
	case "Polygon":
		var rings [][][]float64
		if err := json.Unmarshal(g.Coordinates, &rings); err != nil {
			return nil, fmt.Errorf("Polygon coordinates: %v", err)
		}
		p, err := polygon(rings)
		if err != nil {
			return nil, err
		}
		return backstop.MultiPolygon{p}, nil
	case "MultiPolygon":
		var polys [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			return nil, fmt.Errorf("MultiPolygon coordinates: %v", err)
		}
		var mp backstop.MultiPolygon
		for i, rings := range polys {
			p, err := polygon(rings)
			if err != nil {
				return nil, fmt.Errorf("polygon %d: %v", i, err)
			}
			mp = append(mp, p)
		}
		return mp, nil
	case "GeometryCollection":
		var mp backstop.MultiPolygon
		for i, sub := range g.Geometries {
			m, err := sub.multiPolygon()
			if err != nil {
				return nil, fmt.Errorf("geometry %d: %v", i, err)
			}
			mp = append(mp, m...)
		}
		return mp, nil
	case "":
		return nil, fmt.Errorf("geometry has no type")
	}
	return nil, fmt.Errorf("geometry type %s is not an area (need Polygon or MultiPolygon)", g.Type)
}

func polygon(rings [][][]float64) (backstop.Polygon, error) {
	if len(rings) == 0 {
		return nil, fmt.Errorf("polygon has no rings")
	}
	var p backstop.Polygon
	for i, ring := range rings {
		if len(ring) < 4 {
			return nil, fmt.Errorf("ring %d has %d positions, needs at least 4", i, len(ring))
		}
		r := make(backstop.Ring, len(ring))
		for j, pos := range ring {
			if len(pos) < 2 {
				return nil, fmt.Errorf("ring %d position %d has fewer than 2 numbers", i, j)
			}
			pt := backstop.Point{Lon: pos[0], Lat: pos[1]}
			if !pt.Valid() {
				return nil, fmt.Errorf("ring %d position %d (%g, %g) is not a longitude/latitude", i, j, pos[0], pos[1])
			}
			r[j] = pt
		}
		if r[0] != r[len(r)-1] {
			return nil, fmt.Errorf("ring %d is not closed", i)
		}
		p = append(p, r)
	}
	return p, nil
}

// MarshalGeometry writes a MultiPolygon as a GeoJSON geometry, with
// coordinates rounded to 1e-6 degrees (about 0.1 m).
func MarshalGeometry(mp backstop.MultiPolygon) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"MultiPolygon","coordinates":[`)
	for i, poly := range mp {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for j, ring := range poly {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('[')
			for k, pt := range ring {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('[')
				b.WriteString(formatCoord(pt.Lon))
				b.WriteByte(',')
				b.WriteString(formatCoord(pt.Lat))
				b.WriteByte(']')
			}
			b.WriteByte(']')
		}
		b.WriteByte(']')
	}
	b.WriteString("]}")
	return b.Bytes()
}

func formatCoord(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// MaxRegionFileBytes limits a boundary file read by ReadRegionsGeoJSON.
const MaxRegionFileBytes = 512 << 20

// ReadRegionsGeoJSON reads a FeatureCollection of administrative areas.
// Each feature needs a code (property adcode or code, 6 to 12 digits) and a
// name; ancestors named by the properties pr_adcode/pr_name (province) and
// ct_adcode/ct_name (city), as in the public DataV-style files, are added
// without boundaries so that the features can hang under them.
func ReadRegionsGeoJSON(r io.Reader) ([]*backstop.Region, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string          `json:"type"`
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxRegionFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRegionFileBytes {
		return nil, backstop.Localized(backstop.ETOOLARGE, "边界文件超过%d MiB的上限", "boundary file is larger than the limit of %d MiB", MaxRegionFileBytes>>20)
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "不是GeoJSON文件：%v", "not a GeoJSON file: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, backstop.Localized(backstop.EINVALID, "GeoJSON类型是%q，应为FeatureCollection", "GeoJSON type is %q, need FeatureCollection", fc.Type)
	}
	var out []*backstop.Region
	seen := map[string]bool{}
	var probs []backstop.Problem
	for i, f := range fc.Features {
		path := fmt.Sprintf("features[%d]", i)
		code := propString(f.Properties, "adcode", "code", "cpeas_code")
		name := propString(f.Properties, "name", "名称")
		if code == "" || name == "" {
			probs = append(probs, backstop.Problem{Path: path, Reason: "feature needs a code (adcode or code) and a name", ReasonZH: "区域须有区划代码（adcode 或 code）和名称"})
			continue
		}
		norm, err := backstop.NormalizeRegionCode(code)
		if err != nil {
			probs = append(probs, backstop.Problem{Path: path + ".properties.adcode", Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)})
			continue
		}
		for _, anc := range [][2]string{{"pr_adcode", "pr_name"}, {"ct_adcode", "ct_name"}} {
			ac, an := propString(f.Properties, anc[0]), propString(f.Properties, anc[1])
			if ac == "" || an == "" {
				continue
			}
			if an, err := backstop.NormalizeRegionCode(ac); err == nil && !seen[an] && an != norm && backstop.CodeWithin(norm, an) {
				seen[an] = true
				out = append(out, &backstop.Region{Code: an, Name: propString(f.Properties, anc[1]), Level: backstop.LevelOfCode(an), ParentCode: backstop.ParentCodeOf(an)})
			}
		}
		reg := &backstop.Region{Code: norm, Name: name, Level: backstop.LevelOfCode(norm), ParentCode: backstop.ParentCodeOf(norm)}
		if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
			mp, err := ParseGeometry(f.Geometry)
			if err != nil {
				probs = append(probs, backstop.Problem{Path: path + ".geometry", Reason: err.Error(), ReasonZH: "边界不是有效的 GeoJSON 面（Polygon 或 MultiPolygon）：" + backstop.ErrorMessageZH(err)})
				continue
			}
			reg.Boundary = mp
			reg.BoundarySource = "imported"
			if c, ok := mp.Centroid(); ok {
				reg.Centre = &c
			}
		}
		if seen[norm] {
			// An ancestor added from properties is replaced by the feature.
			for j, r := range out {
				if r.Code == norm {
					out[j] = reg
				}
			}
			continue
		}
		seen[norm] = true
		out = append(out, reg)
	}
	if len(probs) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("%d feature(s) cannot be read: %s", len(probs), probs[0]), Details: probs}
	}
	if len(out) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "GeoJSON文件中没有任何要素", "the GeoJSON file has no features")
	}
	return out, nil
}

func propString(props map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}
