package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

func TestWarningAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			ctx := storetest.Admin()
			storetest.DemoExposure(t, db, 3000, 5)
			f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700"})
			dept := f.token(t, "weather", backstop.RoleDepartment, "620700")
			town := f.token(t, "shahe", backstop.RoleTownship, "620723101")

			// A CAP alert whose polygon covers part of the demo data.
			ring := []string{}
			var poly backstop.Ring
			for i := 0; i <= 24; i++ {
				a := 2 * math.Pi * float64(i%24) / 24
				lat, lon := 39.0+0.35*math.Sin(a), 100.3+0.5*math.Cos(a)
				ring = append(ring, fmt.Sprintf("%.4f,%.4f", lat, lon))
				poly = append(poly, backstop.Point{Lon: lon, Lat: lat})
			}
			doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>62070041600000_20260715080000_1</identifier><sender>zhangye_weather</sender><sent>2026-07-15T08:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <headline>张掖市气象台发布暴雨橙色预警</headline>
    <area><areaDesc>甘州区北部</areaDesc><polygon>%s</polygon></area></info>
</alert>`, strings.Join(ring, " "))
			resp, body := f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(doc), "application/cap+xml")
			if resp.StatusCode != 201 {
				t.Fatalf("post CAP: %d %s", resp.StatusCode, body)
			}
			var created struct {
				ID       int64  `json:"id"`
				Level    string `json:"level"`
				Hazard   string `json:"hazard"`
				Exposure struct{ Households, People int }
			}
			json.Unmarshal(body, &created)
			// Brute force over the registry, at the index's float32 precision.
			mp := backstop.MultiPolygon{{poly}}
			wantH, wantP := 0, 0
			db.ExportHouseholds(ctx, backstop.HouseholdFilter{}, func(h *backstop.Household) error {
				if h.Location != nil && mp.Contains(backstop.Point{Lon: float64(float32(h.Location.Lon)), Lat: float64(float32(h.Location.Lat))}) {
					wantH++
					wantP += h.People
				}
				return nil
			})
			if wantH == 0 || created.Exposure.Households != wantH || created.Exposure.People != wantP || created.Level != "orange" || created.Hazard != "rainstorm" {
				t.Fatalf("created %+v; brute force %d households, %d people", created, wantH, wantP)
			}
			resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/warnings/%d/exposure?limit=5", created.ID), dept, nil, "")
			var ex struct {
				Households, People int
				Ranked             struct {
					Items []map[string]any
					Total int
				}
			}
			json.Unmarshal(body, &ex)
			if resp.StatusCode != 200 || ex.Households != wantH || ex.People != wantP {
				t.Errorf("exposure: %d %s", resp.StatusCode, body)
			}
			// A township sees its own part only; the ranked list is masked.
			resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/warnings/%d/exposure", created.ID), town, nil, "")
			var mine struct {
				Households int
				Ranked     struct {
					Items []struct {
						Phone       string `json:"phone"`
						VillageCode string `json:"village_code"`
					}
				}
			}
			json.Unmarshal(body, &mine)
			if resp.StatusCode != 200 || mine.Households > wantH {
				t.Errorf("township exposure: %d %s", resp.StatusCode, body)
			}
			for _, it := range mine.Ranked.Items {
				if !strings.HasPrefix(it.VillageCode, "620723101") || (it.Phone != "" && !strings.Contains(it.Phone, "****")) {
					t.Errorf("township sees %+v", it)
				}
			}
			// The same document again is a duplicate, not a new warning.
			resp, body = f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(doc), "application/xml")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"duplicate":true`) {
				t.Errorf("duplicate: %d %s", resp.StatusCode, body)
			}
			// Refused documents name the element.
			bad := strings.Replace(doc, "<scope>Public</scope>", "", 1)
			resp, body = f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(bad), "application/cap+xml")
			if resp.StatusCode != 400 || !strings.Contains(string(body), "alert/scope") {
				t.Errorf("bad CAP: %d %s", resp.StatusCode, body)
			}
			// JSON from a department system; Test status.
			js := `{"status":"Test","hazard":"大风","level":"蓝","areas":[{"regions":["620725"]}],"description":"测试"}`
			resp, body = f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(js), "application/json")
			if resp.StatusCode != 201 || !strings.Contains(string(body), `"status":"Test"`) {
				t.Errorf("JSON warning: %d %s", resp.StatusCode, body)
			}
			// Township users read warnings but cannot push them.
			resp, _ = f.do(t, "POST", "/api/v1/warnings", town, strings.NewReader(js), "application/json")
			if resp.StatusCode != 403 {
				t.Errorf("township push: %d", resp.StatusCode)
			}
			// A real JSON warning goes into the public CAP feed; the test one does not.
			real := `{"hazard":"rainstorm","level":"yellow","areas":[{"regions":["620702"]}],"headline":"甘州区暴雨黄色预警"}`
			resp, body = f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(real), "application/json")
			if resp.StatusCode != 201 {
				t.Fatalf("real JSON warning: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", "/cap/feed.atom", "", nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), "甘州区暴雨黄色预警") || strings.Contains(string(body), "测试") {
				t.Errorf("CAP feed: %d\n%s", resp.StatusCode, body)
			}
			// Consultation: recorded by a department, approved by the city.
			city := f.token(t, "boss", backstop.RoleCity, "620700")
			cj := `{"departments":["气象局","应急管理局","乡村振兴局"],"participants":["张三"],"assessment":"强降雨可能引发山洪","decision":"release","actions":["pre_position","evacuate"]}`
			resp, body = f.do(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/consultations", created.ID), dept, strings.NewReader(cj), "application/json")
			var c backstop.Consultation
			json.Unmarshal(body, &c)
			if resp.StatusCode != 201 || c.ID == 0 {
				t.Fatalf("consultation: %d %s", resp.StatusCode, body)
			}
			resp, _ = f.do(t, "POST", fmt.Sprintf("/api/v1/consultations/%d/approve", c.ID), dept, nil, "")
			if resp.StatusCode != 403 {
				t.Errorf("department approves: %d", resp.StatusCode)
			}
			resp, body = f.do(t, "POST", fmt.Sprintf("/api/v1/consultations/%d/approve", c.ID), city, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"approver":"boss"`) {
				t.Errorf("approve: %d %s", resp.StatusCode, body)
			}
			// The exposure spreadsheet.
			resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/warnings/%d/exposure.xlsx", created.ID), city, nil, "")
			if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("PK")) {
				t.Errorf("exposure xlsx: %d", resp.StatusCode)
			}
			os.WriteFile(t.TempDir()+"/x.xlsx", body, 0o600)
		})
	}
}
