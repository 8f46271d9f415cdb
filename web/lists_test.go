package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// TestListConventions: through the real root handler, each list page has
// the 查询 / 重置 bar, the lists whose data may leave have 导出 (xlsx and
// csv) that answer a sheet with the page's Chinese heads, masked and
// audited, and a filter value the list does not know is a Chinese 400,
// never the unfiltered list.
func TestListConventions(t *testing.T) {
	us := newUISite(t, 200)
	const phone = "13912345678"
	if err := us.db.CreateContacts(storetest.Admin(), &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "值班员甲", Region: "620723000000", Phone: phone}); err != nil {
		t.Fatal(err)
	}
	admin := us.client(t, "guanli", web.LangZH)
	auditor := us.client(t, "audit", web.LangZH)
	for _, c := range []struct {
		path   string
		client *http.Client
		export bool
		head   string // a column head of the export
	}{
		{"/warnings", admin, true, "标题"},
		{"/releases", admin, true, "预警"},
		{"/audit", auditor, true, "操作"},
		{"/contacts", admin, true, "电话"},
		{"/quarantine", admin, true, ""},
		{"/screening/events", admin, true, ""},
		{"/screening/campaigns", admin, true, ""},
		{"/screening/assessments", admin, false, ""},
		{"/screening/at-risk", admin, false, ""},
		{"/screening/intake", admin, false, ""},
	} {
		status, body := get(t, c.client, us.url(c.path))
		if status != 200 {
			t.Errorf("%s: %d", c.path, status)
			continue
		}
		for _, id := range []string{`data-testid="search"`, `data-testid="reset"`, `data-testid="pager"`} {
			if !strings.Contains(body, id) {
				t.Errorf("%s has no %s", c.path, id)
			}
		}
		if strings.Contains(body, `name="region" value=`) && strings.Contains(body, `pattern="[0-9]{6,12}"`) {
			t.Errorf("%s: the region is typed, not chosen", c.path)
		}
		if !c.export {
			continue
		}
		if !strings.Contains(body, `data-testid="export"`) || !strings.Contains(body, "export=xlsx") || !strings.Contains(body, "export=csv") {
			t.Errorf("%s has no 导出", c.path)
			continue
		}
		for _, f := range []string{"csv", "xlsx"} {
			resp, err := c.client.Get(us.url(c.path + "?export=" + f))
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, resp)
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s export %s: %d %q", c.path, f, resp.StatusCode, resp.Header.Get("Content-Disposition"))
				continue
			}
			if f == "xlsx" && !strings.HasPrefix(b, "PK") {
				t.Errorf("%s export xlsx is not a workbook", c.path)
			}
			if f == "csv" && c.head != "" && !strings.Contains(b, c.head) {
				t.Errorf("%s export csv has no column %q: %.200s", c.path, c.head, b)
			}
			if strings.Contains(b, phone) {
				t.Errorf("%s export %s holds an unmasked phone", c.path, f)
			}
		}
	}
	// The export of the contacts lists the contact, masked.
	_, csv := get(t, admin, us.url("/contacts?export=csv"))
	if !strings.Contains(csv, "值班员甲") || !strings.Contains(csv, "139****5678") {
		t.Errorf("contacts export: %.300s", csv)
	}
	entries, _, err := us.db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "list.export", Limit: 100})
	if err != nil || len(entries) < 14 {
		t.Errorf("list exports audited: %d, %v", len(entries), err)
	}
	// Unknown filter values: a Chinese 400 naming what was wrong.
	for path, want := range map[string]string{
		"/warnings?level=purple": "purple", "/warnings?from=garbage": "garbage", "/releases?state=bogus": "bogus", "/contacts?kind=bogus": "bogus",
		"/quarantine?state=bogus": "bogus", "/screening/events?state=bogus": "bogus", "/users?role=bogus": "bogus", "/audit?action=bogus.x": "bogus.x", "/warnings?export=pdf": "pdf",
	} {
		c := admin
		if strings.HasPrefix(path, "/audit") {
			c = auditor
		}
		status, body := get(t, c, us.url(path))
		if status != 400 || !strings.Contains(body, want) || !strings.Contains(body, "不能") && !strings.Contains(body, "无法识别") && !strings.Contains(body, "格式") {
			t.Errorf("%s: %d %.300s", path, status, pageText(body))
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}
