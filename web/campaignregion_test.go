package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// TestCampaignRegionChosen: a campaign's area is chosen with the
// county → township → village cascader like every region of the UI, not
// typed as a code (the form showed an input holding "000000000000"); the
// deepest choice is the campaign's region, none chosen the user's own.
func TestCampaignRegionChosen(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.DemoExposure(t, db, 300, 4)
	app, srv := servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700"})
	if err := db.CreateUser(storetest.Admin(), &backstop.User{Name: "gz", Role: backstop.RoleCounty, Region: "620702"}, password); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(srv.URL)
	jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: web.LangZH}})
	c := &http.Client{Jar: jar}
	if resp, err := c.PostForm(srv.URL+"/login", url.Values{"name": {"gz"}, "password": {password}, "next": {"/"}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v", err)
	}
	status, page := get(t, c, srv.URL+"/screening/campaigns")
	form := page[strings.Index(page, `data-testid="campaign-form"`):]
	if status != 200 || !strings.Contains(form, `data-testid="regionpick-region"`) || strings.Contains(form, `pattern="[0-9]`) || strings.Contains(form, `value="620702000000">`) {
		t.Fatalf("campaign form: %d, cascader %v, typed code %v", status, strings.Contains(form, "regionpick"), strings.Contains(form, `pattern="[0-9]`))
	}
	// A township of the county, as the cascader sends it: the county, then
	// the township, the village left unchosen.
	towns, _, err := db.FindRegions(storetest.Admin(), backstop.RegionFilter{Parent: "620702000000", Limit: 1})
	if err != nil || len(towns) == 0 {
		t.Fatalf("no township: %v", err)
	}
	for _, c2 := range []struct {
		values []string
		want   string
	}{{[]string{"620702000000", towns[0].Code, ""}, towns[0].Code}, {[]string{"", "", ""}, "620702000000"}} {
		status, body, path := screeningPost(t, c, srv.URL+"/screening/campaigns", url.Values{"kind": {"pre_season"}, "title": {"汛前排查"}, "region": c2.values}, false)
		if status != 200 || !strings.HasPrefix(path, "/screening/campaigns/") {
			t.Fatalf("campaign over %v: %d %s\n%.300s", c2.values, status, path, pageText(body))
		}
		gz, err := db.FindUser(storetest.Admin(), "gz")
		if err != nil {
			t.Fatal(err)
		}
		items, _, err := app.Screening.Campaigns(backstop.NewContextWithUser(storetest.Admin(), gz), backstop.CampaignFilter{Limit: 1})
		if err != nil || len(items) == 0 || items[0].Region != c2.want {
			t.Errorf("campaign over %v: region %v, want %s", c2.values, items, c2.want)
		}
	}
}
