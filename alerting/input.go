package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/capalert"
	"github.com/zhangye-backstop/backstop/geo"
)

// Input is a warning pushed by a department system as JSON, or entered in
// the web form. backstop writes it as a CAP 1.2 alert and ingests that,
// so every warning has one document and one set of checks.
type Input struct {
	Status      string      `json:"status,omitempty"`   // Actual (default), Exercise, Test, Draft
	MsgType     string      `json:"msg_type,omitempty"` // Alert (default), Update, Cancel
	Supersedes  int64       `json:"supersedes,omitempty"`
	Hazard      string      `json:"hazard"` // taxonomy code or Chinese name (暴雨)
	Level       string      `json:"level"`  // red, orange, yellow, blue (or 红, 橙, 黄, 蓝)
	Event       string      `json:"event,omitempty"`
	Headline    string      `json:"headline,omitempty"`
	Description string      `json:"description,omitempty"`
	Instruction string      `json:"instruction,omitempty"`
	SenderName  string      `json:"sender_name,omitempty"`
	Onset       *time.Time  `json:"onset,omitempty"`
	Expires     *time.Time  `json:"expires,omitempty"`
	Areas       []InputArea `json:"areas"`
}

// InputArea is an area by region codes, a polygon (a GeoJSON geometry, or
// an array of [lon, lat] positions) and/or a circle.
type InputArea struct {
	Desc    string          `json:"desc,omitempty"`
	Regions []string        `json:"regions,omitempty"`
	Polygon json.RawMessage `json:"polygon,omitempty"`
	Circle  *struct {
		Lon      float64 `json:"lon"`
		Lat      float64 `json:"lat"`
		RadiusKM float64 `json:"radius_km"`
	} `json:"circle,omitempty"`
}

var levelWords = map[string]backstop.WarningLevel{"红": backstop.WarningRed, "红色": backstop.WarningRed, "橙": backstop.WarningOrange, "橙色": backstop.WarningOrange,
	"黄": backstop.WarningYellow, "黄色": backstop.WarningYellow, "蓝": backstop.WarningBlue, "蓝色": backstop.WarningBlue}

var levelZH = map[backstop.WarningLevel]string{backstop.WarningRed: "红色预警[Ⅰ级/特别严重]", backstop.WarningOrange: "橙色预警[Ⅱ级/严重]", backstop.WarningYellow: "黄色预警[Ⅲ级/较重]", backstop.WarningBlue: "蓝色预警[Ⅳ级/一般]"}

// categoryOf maps a hazard to its CAP category.
func categoryOf(h backstop.Hazard) string {
	switch h {
	case "fire_danger", "fire":
		return "Fire"
	case "geological", "collapse", "landslide", "debris_flow", "earthquake":
		return "Geo"
	case backstop.HazardOther:
		return "Other"
	}
	return "Met"
}

// Longest texts of a warning made in backstop, in characters: a headline
// is a line (CMA's run to about 100 characters), a description or
// instruction a few paragraphs; the warning lists and the SMS show them.
const (
	MaxEventLength       = 50
	MaxHeadlineLength    = 300
	MaxSenderNameLength  = 100
	MaxDescriptionLength = 5000
	MaxAreaDescLength    = 1000
)

// ToAlert checks the input and writes it as a CAP alert from sender.
func (in *Input) ToAlert(ctx context.Context, store inputStore, sender, region string, now time.Time) (*capalert.Alert, error) {
	var probs []backstop.Problem
	fail := func(path, en, zh string) {
		probs = append(probs, backstop.Problem{Path: path, Reason: en, ReasonZH: zh})
	}
	hazard := backstop.Hazard(in.Hazard)
	info, ok := backstop.HazardOf(hazard)
	if !ok {
		for _, h := range backstop.Hazards {
			if h.ZH == in.Hazard || h.EN == in.Hazard {
				info, ok, hazard = h, true, h.Code
			}
		}
	}
	if !ok {
		fail("hazard", fmt.Sprintf("unknown hazard %q", in.Hazard), fmt.Sprintf("未知灾种“%s”", in.Hazard))
	}
	level := backstop.WarningLevel(in.Level)
	if l, ok := levelWords[in.Level]; ok {
		level = l
	}
	if capalert.SeverityOfLevel[string(level)] == "" {
		fail("level", "level must be red, orange, yellow or blue", "预警级别须为红、橙、黄、蓝之一")
	}
	status := in.Status
	if status == "" {
		status = "Actual"
	}
	msgType := in.MsgType
	if msgType == "" {
		msgType = "Alert"
	}
	if len(in.Areas) == 0 {
		fail("areas", "give at least one area (regions, a polygon or a circle)", "请至少指定一个预警区域")
	}
	a := &capalert.Alert{Sender: sender, Sent: now.In(backstop.Beijing).Truncate(time.Second), Status: status, MsgType: msgType, Scope: "Public"}
	if status == "Exercise" {
		a.Note = "演练 exercise"
	}
	if in.Supersedes != 0 {
		prev, err := store.FindWarning(ctx, in.Supersedes)
		if err != nil {
			fail("supersedes", fmt.Sprintf("warning %d not found", in.Supersedes), fmt.Sprintf("找不到被更新的预警%d", in.Supersedes))
		} else {
			a.References = []capalert.Reference{{Sender: prev.Sender, Identifier: prev.Identifier, Sent: capalert.FormatTime(prev.Sent)}}
		}
	}
	event := in.Event
	if event == "" {
		event = info.ZH
	}
	headline := in.Headline
	if headline == "" && ok && levelZH[level] != "" {
		headline = info.ZH + levelZH[level]
	}
	ci := capalert.Info{Language: "zh-CN", Categories: []string{categoryOf(hazard)}, Event: event, Urgency: "Expected",
		Severity: capalert.SeverityOfLevel[string(level)], Certainty: "Likely", SenderName: in.SenderName, Headline: headline,
		Description: in.Description, Instruction: in.Instruction, Onset: in.Onset, Expires: in.Expires}
	if ci.Urgency == "" {
		ci.Urgency = "Unknown"
	}
	for _, f := range []struct {
		path, zh, v string
		max         int
	}{
		{"event", "事件名称", in.Event, MaxEventLength},
		{"headline", "标题", in.Headline, MaxHeadlineLength},
		{"sender_name", "发布单位", in.SenderName, MaxSenderNameLength},
		{"description", "预警内容", in.Description, MaxDescriptionLength},
		{"instruction", "防御指南", in.Instruction, MaxDescriptionLength},
	} {
		if n := utf8.RuneCountInString(f.v); n > f.max {
			fail(f.path, fmt.Sprintf("%s has %d characters; at most %d", f.path, n, f.max), fmt.Sprintf("%s过长：有%d个字符，上限为%d个", f.zh, n, f.max))
		}
	}
	for i, ar := range in.Areas {
		if n := utf8.RuneCountInString(ar.Desc); n > MaxAreaDescLength {
			fail(fmt.Sprintf("areas[%d].desc", i), fmt.Sprintf("the area description has %d characters; at most %d", n, MaxAreaDescLength), fmt.Sprintf("第%d个预警区域的说明过长：有%d个字符，上限为%d个", i+1, n, MaxAreaDescLength))
		}
	}
	if in.Onset != nil && in.Expires != nil && in.Expires.Before(*in.Onset) {
		fail("expires", "expires before onset", "解除时间早于开始时间")
	}
	idRegion := region
	for i, ar := range in.Areas {
		area, first, areaProbs := ar.capArea(ctx, store, fmt.Sprintf("areas[%d]", i))
		probs = append(probs, areaProbs...)
		if first != "" && (idRegion == "" || idRegion == region) {
			idRegion = first
		}
		ci.Areas = append(ci.Areas, area)
	}
	if len(probs) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The warning is incomplete: " + probs[0].String(), ZH: "预警信息有误：" + probs[0].ReasonZH, Details: probs}
	}
	if len(idRegion) != 6 {
		idRegion = "620700"
	}
	a.Identifier = gbIdentifier(idRegion, a.Sent, 0)
	a.Infos = []capalert.Info{ci}
	return a, nil
}

// capArea checks one area and writes it as a CAP area: region codes as
// CPEAS geocodes (each must exist), a polygon, a circle. first is the
// county-level prefix of its first region, for identifiers; problems are
// located under path.
func (ar *InputArea) capArea(ctx context.Context, store inputStore, path string) (capalert.Area, string, []backstop.Problem) {
	var probs []backstop.Problem
	fail := func(path, en, zh string) {
		probs = append(probs, backstop.Problem{Path: path, Reason: en, ReasonZH: zh})
	}
	area := capalert.Area{Desc: ar.Desc}
	first := ""
	for _, code := range ar.Regions {
		norm, err := backstop.NormalizeRegionCode(code)
		if err != nil {
			fail(path+".regions", backstop.ErrorMessage(err), "区划代码格式错误")
			continue
		}
		r, err := store.FindRegion(ctx, norm, false)
		if err != nil {
			fail(path+".regions", fmt.Sprintf("region %s does not exist", norm), fmt.Sprintf("区划%s不存在", norm))
			continue
		}
		if first == "" {
			first = norm[:6]
		}
		area.Geocodes = append(area.Geocodes, capalert.NamedValue{Name: capalert.CPEASName, Value: norm})
		if area.Desc == "" {
			area.Desc = r.Name
		} else if !strings.Contains(area.Desc, r.Name) && ar.Desc == "" {
			area.Desc += " " + r.Name
		}
	}
	if len(ar.Polygon) > 0 && string(ar.Polygon) != "null" {
		mp, err := parsePolygon(ar.Polygon)
		if err != nil {
			fail(path+".polygon", err.Error(), "多边形格式错误："+err.Error())
		}
		for _, poly := range mp {
			if len(poly) > 1 {
				fail(path+".polygon", "holes are not part of CAP; give the outer ring only", "CAP多边形不支持内环")
			}
			ring := make(capalert.Polygon, len(poly[0]))
			for k, pt := range poly[0] {
				ring[k] = capalert.LatLon{Lat: pt.Lat, Lon: pt.Lon}
			}
			area.Polygons = append(area.Polygons, ring)
		}
	}
	if c := ar.Circle; c != nil {
		switch {
		case !(backstop.Point{Lon: c.Lon, Lat: c.Lat}).Valid():
			fail(path+".circle", fmt.Sprintf("centre (%g, %g) is not a longitude/latitude", c.Lon, c.Lat), "圆心经纬度无效")
		case !(c.RadiusKM >= 0 && c.RadiusKM <= 20038):
			fail(path+".circle", fmt.Sprintf("radius %g km must be between 0 and 20038 (half the Earth's circumference)", c.RadiusKM), "半径须在 0 至 20038 公里之间")
		default:
			area.Circles = append(area.Circles, capalert.Circle{Centre: capalert.LatLon{Lat: c.Lat, Lon: c.Lon}, RadiusKM: c.RadiusKM})
		}
	}
	if area.Desc == "" {
		area.Desc = "预警区域"
	}
	if len(area.Geocodes)+len(area.Polygons)+len(area.Circles) == 0 {
		fail(path, "the area has no regions, polygon or circle", "预警区域未指定区划、多边形或圆")
	}
	return area, first, probs
}

// gbIdentifier writes a GB/T 35965.1 identifier: region + agency (000) +
// internal code (000) + extension (00), the entry time in Beijing time,
// and the sequence digit n within that second.
func gbIdentifier(region string, sent time.Time, n int) string {
	return fmt.Sprintf("%s00000000_%s_%d", region, sent.In(backstop.Beijing).Format("20060102150405"), n)
}

// parsePolygon reads a GeoJSON Polygon/MultiPolygon or a plain array of
// [lon, lat] positions (closed or not).
func parsePolygon(raw json.RawMessage) (backstop.MultiPolygon, error) {
	var positions [][]float64
	if err := json.Unmarshal(raw, &positions); err == nil {
		if len(positions) < 3 {
			return nil, fmt.Errorf("a polygon needs at least 3 positions")
		}
		ring := make(backstop.Ring, 0, len(positions)+1)
		for i, p := range positions {
			if len(p) < 2 {
				return nil, fmt.Errorf("position %d is not [lon, lat]", i)
			}
			pt := backstop.Point{Lon: p[0], Lat: p[1]}
			if !pt.Valid() {
				return nil, fmt.Errorf("position %d (%g, %g) is not a longitude/latitude", i, p[0], p[1])
			}
			ring = append(ring, pt)
		}
		if ring[0] != ring[len(ring)-1] {
			ring = append(ring, ring[0])
		}
		if len(ring) < 4 {
			return nil, fmt.Errorf("a polygon needs at least 3 distinct positions")
		}
		return backstop.MultiPolygon{{ring}}, nil
	}
	var feature struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(raw, &feature); err == nil && feature.Type == "Feature" {
		raw = feature.Geometry
	}
	return geo.ParseGeometry(raw)
}

// IngestInput checks a department's or the form's warning, writes it as
// CAP and ingests it.
func (s *Service) IngestInput(ctx context.Context, in *Input, source string) (*backstop.Warning, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermWriteWarnings); err != nil {
		return nil, err
	}
	region := s.Region
	if u.Region != backstop.NationalScope {
		region = u.Region[:6]
	}
	a, err := in.ToAlert(ctx, s.Store, s.Sender, region, s.now())
	if err != nil {
		return nil, err
	}
	// The sequence digit tells apart up to ten warnings made in one second.
	prefix := a.Identifier[:len(a.Identifier)-1]
	for n := 0; ; n++ {
		if n == 10 {
			return nil, backstop.Localized(backstop.ERATELIMIT, "一秒内录入超过十条预警，请稍后再试", "More than ten warnings in one second; try again.")
		}
		a.Identifier = prefix + strconv.Itoa(n)
		self := false
		for _, r := range a.References {
			// An update or cancel made in the same second as what it
			// references takes the next digit.
			self = self || (r.Sender == a.Sender && r.Identifier == a.Identifier)
		}
		if self {
			continue
		}
		w, err := s.IngestCAP(ctx, capalert.Marshal(a), source)
		if backstop.ErrorCode(err) == backstop.ECONFLICT {
			continue
		}
		return w, err
	}
}
