package plans_test

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/plans"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// fixture is a plans service over a real database with Gansu's regions
// and a clock that the test moves.
type fixture struct {
	db  *sqlstore.DB
	svc *plans.Service
	eng *clock.Engine
	now time.Time
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	storetest.LoadRegions(t, db)
	cal := &workday.Service{Store: db}
	if err := cal.Load(storetest.Admin()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, now: time.Date(2026, 11, 20, 9, 0, 0, 0, backstop.Beijing)}
	f.eng = &clock.Engine{Store: db, Calendar: cal, Now: func() time.Time { return f.now }}
	f.svc = &plans.Service{Store: db, Clocks: f.eng, DocDir: t.TempDir(), Now: func() time.Time { return f.now }}
	return f
}

func as(role backstop.Role, region string) context.Context {
	return backstop.NewContextWithUser(context.Background(), &backstop.User{Name: string(role) + "-" + region, Role: role, Region: region})
}

var fullSections = map[string]string{
	"risk_analysis": "暴雨、山洪、地质灾害风险分析……", "key_groups": "脱贫户、监测对象名单摘要……", "warning_release": "预警信息发布安排……",
	"response": "转移避险、临时救助……", "relief_stock": "帐篷、棉被……", "responsible": "县乡村三级责任人……",
}

// TestPlanYear: the city sees every county missing before the year's
// plans are written; reminders go to the county's and the city's duty
// officers from 1 December; a draft lacking checklist items cannot be
// submitted and the readiness view names what is missing; two approvals
// at once: one wins; an approved plan meets its clock and stops the
// reminders; after 1 January an unapproved county is late.
func TestPlanYear(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open(t))
			admin := storetest.Admin()
			city, county := as(backstop.RoleCity, "620700000000"), as(backstop.RoleCounty, "620702000000")
			if err := f.db.CreateContacts(admin,
				&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "甘州区值班", Region: "620702000000", Phone: "13800000001"},
				&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "市值班", Region: "620700000000", Phone: "13800000002"},
				&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "临泽县值班", Region: "620723000000", Phone: "13800000003"}); err != nil {
				t.Fatal(err)
			}
			rows, err := f.svc.Readiness(city, 2027)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 6 {
				t.Fatalf("Zhangye has 6 counties, readiness lists %d", len(rows))
			}
			for _, r := range rows {
				if r.State != backstop.PlanMissing || r.Late || !r.DueAt.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, backstop.Beijing)) {
					t.Errorf("%s before anything: %s late=%v due %v", r.Code, r.State, r.Late, r.DueAt)
				}
			}
			sys := backstop.NewContextWithUser(context.Background(), backstop.SystemUser("test"))
			if n, err := f.svc.EnsureYear(sys, "620700000000", 2027); err != nil || n != 6 {
				t.Fatalf("ensure year: %d %v", n, err)
			}
			// Again: nothing new (one row per county and year).
			if _, err := f.svc.EnsureYear(sys, "620700000000", 2027); err != nil {
				t.Fatal(err)
			}
			all, total, err := f.svc.Plans(city, backstop.PlanFilter{Year: 2027})
			if err != nil || total != 6 {
				t.Fatalf("plans: %d %v", total, err)
			}
			var ganzhou *backstop.Plan
			for _, p := range all {
				if p.County == "620702000000" {
					ganzhou = p
				}
			}
			c, err := f.db.FindClock(admin, backstop.ClockPlanDue, "plan:"+itoa(ganzhou.ID))
			if err != nil {
				t.Fatal(err)
			}
			if c.FireAt == nil || !c.FireAt.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, backstop.Beijing)) || c.DueDate != "2026-12-31" {
				t.Fatalf("clock fires %v, due %s", c.FireAt, c.DueDate)
			}
			f.eng.Register(backstop.ClockPlanDue, f.svc.Remind)
			if n, _ := f.eng.RunDue(sys); n != 0 {
				t.Fatalf("%d reminders ran in November", n)
			}
			f.now = time.Date(2026, 12, 1, 8, 0, 0, 0, backstop.Beijing)
			if n, err := f.eng.RunDue(sys); err != nil || n != 6 {
				t.Fatalf("1 December: %d reminders, %v", n, err)
			}
			counts, err := f.db.StreamCounts(admin, ganzhou.StreamID)
			if err != nil {
				t.Fatal(err)
			}
			// 甘州区 and the city, not 临泽县.
			if len(counts) != 1 || counts[0].Channel != backstop.ChannelSMS || counts[0].N != 2 || counts[0].Status != backstop.MessagePending {
				t.Fatalf("reminders of 甘州区: %+v", counts)
			}

			// A draft without two required items.
			partial := map[string]string{"risk_analysis": fullSections["risk_analysis"], "key_groups": fullSections["key_groups"], "warning_release": "…", "response": "…"}
			p, err := f.svc.SaveDraft(county, ganzhou.ID, plans.Draft{Title: "甘州区2027年度防范因灾返贫预案", Sections: partial})
			if err != nil {
				t.Fatal(err)
			}
			if p.State != backstop.PlanDraft || p.Version != 1 || strings.Join(p.Missing, ",") != "relief_stock,responsible" {
				t.Fatalf("partial draft: %s v%d missing %v", p.State, p.Version, p.Missing)
			}
			if _, err := f.svc.Submit(county, p.ID); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "救灾物资储备、责任人") {
				t.Fatalf("submitting a plan lacking items: %v (%s)", err, backstop.ErrorMessageZH(err))
			}
			rows, _ = f.svc.Readiness(city, 2027)
			for _, r := range rows {
				if r.Code == "620702000000" && (r.State != backstop.PlanDraft || strings.Join(r.Missing, ",") != "relief_stock,responsible") {
					t.Errorf("readiness of a partial draft: %s %v", r.State, r.Missing)
				}
			}
			// Unknown items and over-long sections are named.
			_, err = f.svc.SaveDraft(county, p.ID, plans.Draft{Title: "x", Sections: map[string]string{"astrology": "…", "response": strings.Repeat("字", backstop.MaxPlanSection+1)}})
			if ds := backstop.ErrorDetails(err); len(ds) != 2 {
				t.Fatalf("bad sections: %v %+v", err, ds)
			}
			// Another county may not write it.
			if _, err := f.svc.SaveDraft(as(backstop.RoleCounty, "620723000000"), p.ID, plans.Draft{Title: "x", Sections: fullSections}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Fatalf("another county's draft: %v", err)
			}
			p, err = f.svc.SaveDraft(county, p.ID, plans.Draft{Title: "甘州区2027年度防范因灾返贫预案", Sections: fullSections})
			if err != nil || len(p.Missing) != 0 || p.Version != 2 {
				t.Fatalf("full draft: %v %+v", err, p)
			}
			if _, err := f.svc.Approve(county, p.ID); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Fatalf("a county approving its own plan: %v", err)
			}
			if _, err := f.svc.Submit(county, p.ID); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); _, errs[i] = f.svc.Approve(city, p.ID) }()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || backstop.ErrorCode(errs[0])+backstop.ErrorCode(errs[1]) != backstop.ECONFLICT {
				t.Fatalf("two approvals at once: %v, %v", errs[0], errs[1])
			}
			if c, _ := f.db.FindClock(admin, backstop.ClockPlanDue, "plan:"+itoa(p.ID)); c.State != backstop.ClockMet {
				t.Errorf("the approved plan's clock is %s", c.State)
			}
			vs, err := f.svc.Versions(city, p.ID)
			if err != nil || len(vs) != 2 || vs[0].Version != 2 {
				t.Fatalf("versions: %v %d", err, len(vs))
			}
			// A week later only the other five are reminded again.
			f.now = f.now.AddDate(0, 0, 7)
			if n, err := f.eng.RunDue(sys); err != nil || n != 5 {
				t.Fatalf("second round: %d reminders, %v", n, err)
			}
			f.now = time.Date(2027, 1, 1, 0, 0, 1, 0, backstop.Beijing)
			rows, _ = f.svc.Readiness(city, 2027)
			late := 0
			for _, r := range rows {
				if r.Code == "620702000000" {
					if r.State != backstop.PlanApproved || r.Late {
						t.Errorf("甘州区 on 1 January: %s late=%v", r.State, r.Late)
					}
				} else if r.Late && r.State == backstop.PlanMissing {
					late++
				}
			}
			if late != 5 {
				t.Errorf("%d late counties on 1 January, want 5", late)
			}
			// A township's officer does not read the county's plan: it
			// lies outside the township.
			town := as(backstop.RoleTownship, "620702001000")
			if _, err := f.svc.Plan(town, p.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
				t.Errorf("a township reading its county's plan: %v", err)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func writeZip(t *testing.T, path string, names ...string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	z := zip.NewWriter(f)
	for _, n := range names {
		w, _ := z.Create(n)
		w.Write([]byte("<x/>"))
	}
	z.Close()
	f.Close()
}

// TestPlanDocuments: a PDF or Word document is kept under the data
// directory with its digest, by content; an image named .pdf, a
// spreadsheet named .docx, a PDF named .docx and a file over the limit
// are refused with the reason.
func TestPlanDocuments(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t))
	county := as(backstop.RoleCounty, "620702000000")
	p, err := f.svc.Open(county, "620702", 2027)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, body []byte) string {
		path := filepath.Join(dir, "upload-"+name)
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
	got, err := f.svc.AttachDocument(county, p.ID, write("a.pdf", pdf), "甘州区预案.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got.Document == nil || got.Document.Kind != "pdf" || got.Document.Size != int64(len(pdf)) || got.Version != 1 || got.Title != "甘州区预案" {
		t.Fatalf("pdf: %+v %+v", got, got.Document)
	}
	if _, err := os.Stat(filepath.Join(f.svc.DocDir, got.Document.Path)); err != nil {
		t.Errorf("the document is not under the documents directory: %v", err)
	}
	doc, file, err := f.svc.Document(county, p.ID)
	if err != nil || doc.SHA256 != got.Document.SHA256 {
		t.Fatal(err)
	}
	file.Close()
	docx := filepath.Join(dir, "upload-b.docx")
	writeZip(t, docx, "[Content_Types].xml", "word/document.xml")
	if got, err = f.svc.AttachDocument(county, p.ID, docx, "预案.docx"); err != nil || got.Document.Kind != "docx" || got.Version != 2 {
		t.Fatalf("docx: %v", err)
	}
	xlsx := filepath.Join(dir, "upload-c.docx")
	writeZip(t, xlsx, "[Content_Types].xml", "xl/workbook.xml")
	png := write("d.pdf", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	mislabelled := write("e.docx", pdf)
	big := filepath.Join(dir, "upload-f.pdf")
	bf, _ := os.Create(big)
	bf.Write(pdf)
	bf.Truncate(plans.MaxDocumentBytes + 1)
	bf.Close()
	for _, c := range []struct {
		path, name, code, zh string
	}{
		{png, "扫描件.pdf", backstop.EUNSUPPORTED, "只接受 PDF 或 Word 文档"},
		{xlsx, "表格.docx", backstop.EUNSUPPORTED, "不是 Word 文档"},
		{mislabelled, "预案.docx", backstop.EUNSUPPORTED, "文件内容是 PDF"},
		{big, "大文件.pdf", backstop.ETOOLARGE, "超过上限 20 MiB"},
	} {
		_, err := f.svc.AttachDocument(county, p.ID, c.path, c.name)
		if backstop.ErrorCode(err) != c.code || !strings.Contains(backstop.ErrorMessageZH(err), c.zh) {
			t.Errorf("%s: %v (%s)", c.name, err, backstop.ErrorMessageZH(err))
		}
		if _, err := os.Stat(c.path); err == nil {
			t.Errorf("%s: the refused upload was left behind", c.name)
		}
	}
	if p, _ := f.svc.Plan(county, p.ID); p.Version != 2 || p.Document.Kind != "docx" {
		t.Errorf("a refused document changed the plan: v%d %s", p.Version, p.Document.Kind)
	}
	// A department plan's document, checked the same way.
	dp, err := f.svc.AddDepartmentPlan(county, plans.DepartmentPlanInput{Region: "620702", Year: 2027, Department: "water", Title: "甘州区防汛抗旱专项预案", Hazards: []string{"flood"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AttachDepartmentDocument(county, dp.ID, write("g.pdf", []byte("\x89PNG\r\n\x1a\n0")), "防汛.pdf"); backstop.ErrorCode(err) != backstop.EUNSUPPORTED {
		t.Errorf("an image as a department plan: %v", err)
	}
	if _, err := f.svc.AttachDepartmentDocument(as(backstop.RoleCounty, "620723000000"), dp.ID, write("h.pdf", pdf), "防汛.pdf"); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("another county's department plan: %v", err)
	}
	if _, err := f.svc.AttachDepartmentDocument(county, dp.ID, write("i.pdf", pdf), "防汛.pdf"); err != nil {
		t.Fatal(err)
	}
	dps, err := f.svc.DepartmentPlans(county, 2027, "")
	if err != nil || len(dps) != 1 || dps[0].Document == nil || dps[0].Document.Kind != "pdf" {
		t.Fatalf("department plans: %v %+v", err, dps)
	}
	if _, file, err := f.svc.DepartmentDocument(county, dp.ID); err != nil {
		t.Fatal(err)
	} else {
		file.Close()
	}
}
