package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// TestTemplatesPageByRegion: the templates page shows each template's
// region; a county officer adds the county's own, and can neither rewrite
// the national defaults nor write another county's.
func TestTemplatesPageByRegion(t *testing.T) {
	s := newSite(t)
	if err := s.db.CreateUser(storetest.Admin(), &backstop.User{Name: "lz_duty", Role: backstop.RoleCounty, Region: "620723"}, password); err != nil {
		t.Fatal(err)
	}
	c := s.client(t, "lz_duty", web.LangZH)
	status, page := get(t, c, s.srv.URL+"/templates")
	if status != 200 || !strings.Contains(page, "适用区划") || !strings.Contains(page, "<td>全国</td>") {
		t.Fatalf("templates page: %d, regions shown: %v", status, strings.Contains(page, "<td>全国</td>"))
	}
	noKeys(t, "templates", page)
	if resp, page := post(t, c, s.srv.URL+"/templates", url.Values{"id": {"0"}, "region": {"620723000000"}, "hazard": {"rainstorm"}, "text": {"临泽县：暴雨{level}预警，{area}。"}}); resp.StatusCode != 200 ||
		!strings.Contains(page, "<td>临泽县</td>") || !strings.Contains(page, "临泽县：暴雨{level}预警") {
		t.Errorf("adding the county's template: %d", resp.StatusCode)
	}
	national, err := s.db.TemplateFor(storetest.Admin(), backstop.NationalScope, "rainstorm", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, fmt.Sprintf(`<option value="%d"`, national.ID)) {
		t.Errorf("the national default is offered for editing to a county")
	}
	for _, form := range []url.Values{
		{"id": {fmt.Sprint(national.ID)}, "hazard": {"rainstorm"}, "text": {"改写{hazard}"}},
		{"id": {"0"}, "region": {"620702000000"}, "hazard": {"gale"}, "text": {"甘州区{hazard}"}},
	} {
		resp, page := post(t, c, s.srv.URL+"/templates", form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "不在您的管辖范围") {
			t.Errorf("%v: %d", form, resp.StatusCode)
		}
	}
	if got, _ := s.db.TemplateFor(storetest.Admin(), "620702", "rainstorm", ""); got.ID != national.ID || got.Text != national.Text {
		t.Errorf("another county's releases use %+v", got)
	}
}
