package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestPlansAPI: the city reads plan readiness for next year as
// {"counties":[{"code","state"}]}; a county opens, drafts and submits its
// plan, attaching a document that must be a PDF or Word file within the
// limit; the city approves it and readiness says approved.
func TestPlansAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			city := f.token(t, "city1", backstop.RoleCity, "620700000000")
			county := f.token(t, "county1", backstop.RoleCounty, "620702000000")
			village := f.token(t, "village1", backstop.RoleVillage, "620723101201")
			next := time.Now().In(backstop.Beijing).Year() + 1
			resp, body := f.do(t, "GET", "/api/v1/plans/readiness", city, nil, "")
			if resp.StatusCode != 200 {
				t.Fatalf("readiness: %d %s", resp.StatusCode, body)
			}
			r := decode[struct {
				Year     int
				Counties []struct{ Code, State string }
			}](t, body)
			if r.Year != next || len(r.Counties) != 6 || r.Counties[0].Code != "620702000000" || r.Counties[0].State != "missing" {
				t.Fatalf("readiness of next year: %+v", r)
			}
			open := `{"county":"620702","year":` + itoa(int64(next)) + `}`
			if resp, _ := f.do(t, "POST", "/api/v1/plans", village, strings.NewReader(open), "application/json"); resp.StatusCode != 403 {
				t.Errorf("a village opening a plan: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "POST", "/api/v1/plans", county, strings.NewReader(`{"county":"620723","year":`+itoa(int64(next))+`}`), "application/json"); resp.StatusCode != 403 {
				t.Errorf("a county opening another's plan: %d", resp.StatusCode)
			}
			resp, body = f.do(t, "POST", "/api/v1/plans", county, strings.NewReader(open), "application/json")
			if resp.StatusCode != 200 {
				t.Fatalf("open: %d %s", resp.StatusCode, body)
			}
			p := decode[backstop.Plan](t, body)
			id := itoa(p.ID)
			upload := func(name string, content []byte) (int, string) {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				fw, _ := mw.CreateFormFile("file", name)
				fw.Write(content)
				mw.Close()
				resp, body := f.do(t, "POST", "/api/v1/plans/"+id+"/document", county, &buf, mw.FormDataContentType())
				return resp.StatusCode, string(body)
			}
			if code, body := upload("预案.pdf", []byte("GIF89a\x01\x00\x01\x00")); code != 415 || !strings.Contains(body, "只接受 PDF 或 Word 文档") {
				t.Errorf("an image as the plan: %d %s", code, body)
			}
			if code, body := upload("预案.pdf", append([]byte("%PDF-1.7\n"), make([]byte, 20<<20)...)); code != 413 {
				t.Errorf("a document over 20 MiB: %d %s", code, body)
			}
			if code, body := upload("预案.pdf", []byte("%PDF-1.7\n%%EOF\n")); code != 200 {
				t.Fatalf("a PDF: %d %s", code, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/plans/"+id+"/document", city, nil, "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || string(body) != "%PDF-1.7\n%%EOF\n" {
				t.Errorf("download: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			draft := `{"title":"甘州区防范因灾返贫预案","sections":{"risk_analysis":"…","key_groups":"…","warning_release":"…","response":"…","relief_stock":"…","responsible":"…"}}`
			if resp, body := f.do(t, "PUT", "/api/v1/plans/"+id, county, strings.NewReader(draft), "application/json"); resp.StatusCode != 200 {
				t.Fatalf("draft: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.do(t, "POST", "/api/v1/plans/"+id+"/submit", county, nil, ""); resp.StatusCode != 200 {
				t.Fatalf("submit: %d %s", resp.StatusCode, body)
			}
			if resp, _ := f.do(t, "POST", "/api/v1/plans/"+id+"/approve", county, nil, ""); resp.StatusCode != 403 {
				t.Errorf("a county approving: %d", resp.StatusCode)
			}
			if resp, body := f.do(t, "POST", "/api/v1/plans/"+id+"/approve", city, nil, ""); resp.StatusCode != 200 {
				t.Fatalf("approve: %d %s", resp.StatusCode, body)
			}
			if resp, _ := f.do(t, "POST", "/api/v1/plans/"+id+"/approve", city, nil, ""); resp.StatusCode != 409 {
				t.Errorf("approving again: %d", resp.StatusCode)
			}
			resp, body = f.do(t, "GET", "/api/v1/plans/readiness?year="+itoa(int64(next)), city, nil, "")
			r = decode[struct {
				Year     int
				Counties []struct{ Code, State string }
			}](t, body)
			if r.Counties[0].State != "approved" || r.Counties[1].State != "missing" {
				t.Errorf("readiness after approval: %+v", r.Counties)
			}
			if resp, _ := f.do(t, "GET", "/api/v1/plans/readiness?year=20x6", city, nil, ""); resp.StatusCode != 400 {
				t.Errorf("a bad year: %d", resp.StatusCode)
			}
		})
	}
}
