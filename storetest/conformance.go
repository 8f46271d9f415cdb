package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// Run runs the store conformance suite against databases from open. Every
// subtest gets a fresh database.
func Run(t *testing.T, open func(testing.TB) *sqlstore.DB) {
	tests := []struct {
		name string
		fn   func(*testing.T, *sqlstore.DB)
	}{
		{"RegionsImport", testRegionsImport},
		{"RegionCSVParentMissing", testRegionCSVParentMissing},
		{"RosterTemplate", testRosterTemplate},
		{"RosterBadInputs", testRosterBadInputs},
		{"RosterSkipInvalid", testRosterSkipInvalid},
		{"RosterDryRun", testRosterDryRun},
		{"RosterChangedRowUpdates", testRosterChangedRowUpdates},
		{"Scope", testScope},
		{"HouseholdEdits", testHouseholdEdits},
		{"MemberDetails", testMemberDetails},
		{"Search", testSearch},
		{"Users", testUsers},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"Policy", testPolicy},
		{"RegionCounts", testRegionCounts},
		{"ExportPaging", testExportPaging},
		{"Warnings", testWarningsStore},
		{"Exposure", testExposureStore},
		{"Outbox", testOutboxStore},
		{"FieldTasks", testFieldTasksStore},
		{"Clocks", testClocksStore},
		{"Monitoring", testMonitoringStore},
		{"SubscriptionStream", testSubscriptionStream},
		{"PushOnce", testPushOnce},
		{"TemplatesByRegion", testTemplatesByRegion},
		{"ConsultationScope", testConsultationScope},
		{"AuditByRegion", testAuditByRegion},
		{"DepartmentReadsNoHousehold", testDepartmentReadsNoHousehold},
		{"NoExistenceOracle", testNoExistenceOracle},
		{"ListFilters", testListFilters},
		{"Screening", testScreeningStore},
		{"Cases", testCasesStore},
		{"Assist", testAssistStore},
		{"Loans", testLoansStore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testRegionsImport(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := Admin()
	r, err := db.FindRegion(ctx, "620700", true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "张掖市" || r.Level != backstop.LevelCity || len(r.Boundary) == 0 || r.Centre == nil {
		t.Errorf("张掖市 = %+v, want a city with a boundary and centre", r)
	}
	_, total, err := db.FindRegions(ctx, backstop.RegionFilter{Parent: "620700"})
	if err != nil || total != 6 {
		t.Errorf("counties of 张掖 = %d, %v; want 6", total, err)
	}
	_, total, _ = db.FindRegions(ctx, backstop.RegionFilter{Within: "620700", Level: backstop.LevelTownship})
	if total != 78 {
		t.Errorf("townships of 张掖 = %d, want 78", total)
	}
	v, err := db.FindRegion(ctx, "620723101201", false)
	if err != nil || v.Name != "西寨村" || v.ParentCode != "620723101000" {
		t.Errorf("西寨村 = %+v, %v", v, err)
	}
	// Loading a code list again keeps the boundaries.
	LoadRegions(t, db)
	if r, _ := db.FindRegion(ctx, "620723", true); len(r.Boundary) == 0 {
		t.Error("re-import of code lists erased a county boundary")
	}
	if _, err := db.FindRegion(ctx, "620799", false); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("unknown region: %v, want not_found", err)
	}
}

func testRegionCSVParentMissing(t *testing.T, db *sqlstore.DB) {
	ctx := Admin()
	regs := []*backstop.Region{{Code: "620723101201", Name: "西寨村", Level: backstop.LevelVillage, ParentCode: "620723101000", Row: 2}}
	_, err := db.ImportRegions(ctx, regs)
	if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), "row 2") {
		t.Fatalf("village without township: %v, want invalid naming row 2", err)
	}
	if _, total, _ := db.FindRegions(ctx, backstop.RegionFilter{}); total != 0 {
		t.Errorf("a refused region import wrote %d regions", total)
	}
}

func importTemplate(t *testing.T, db *sqlstore.DB) *backstop.ImportResult {
	t.Helper()
	res, err := ImportRoster(Admin(), db, SharedData(t, "templates/households.csv"), backstop.ImportOptions{})
	if err != nil {
		t.Fatalf("import template: %v (%v)", err, backstop.ErrorDetails(err))
	}
	return res
}

func testRosterTemplate(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	SetLine(t, db, backstop.NationalScope, 6000)
	res := importTemplate(t, db)
	if res.HouseholdsCreated != 3 || res.PeopleCreated != 7 || !res.Written {
		t.Fatalf("first import: %+v, want 3 households and 7 people created", res)
	}
	ctx := Admin()
	_, total, _ := db.FindHouseholds(ctx, backstop.HouseholdFilter{})
	if total != 3 {
		t.Errorf("households = %d, want 3", total)
	}
	h, err := db.FindHousehold(ctx, "6207221072060012")
	if err != nil {
		t.Fatal(err)
	}
	if h.People != 3 || h.HeadName != "马福林" || h.VillageName != "炒面庄村" || h.CountyName != "民乐县" {
		t.Errorf("household = %+v", h)
	}
	want := backstop.GroupFormerlyPoor | backstop.GroupMonitored | backstop.GroupDibao
	if h.Groups&backstop.StoredGroups != want {
		t.Errorf("groups = %v, want %v", h.Groups.Names(), want.Names())
	}
	tekun, _ := db.FindHousehold(ctx, "6207252032010007")
	if tekun.Groups&(backstop.GroupTekun|backstop.GroupDisability|backstop.GroupElderlyAlone|backstop.GroupMonitored|backstop.GroupLowIncome) !=
		backstop.GroupTekun|backstop.GroupDisability|backstop.GroupElderlyAlone|backstop.GroupMonitored|backstop.GroupLowIncome {
		t.Errorf("赵玉梅's household groups = %v, want tekun, disability, elderly alone, monitored, low income (5,200 < 6,000)", tekun.Groups.Names())
	}
	// Who is elderly is the policy elderly.age in force, not a constant:
	// at 100 赵玉梅 no longer is, in the household and in the filter.
	today := time.Now().In(backstop.Beijing)
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	elderlyOnes := func() int {
		_, n, err := db.FindHouseholds(ctx, backstop.HouseholdFilter{Groups: backstop.GroupElderlyAlone, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := elderlyOnes()
	for _, years := range []float64{100, 60} {
		if err := db.CreatePolicy(ctx, &backstop.Policy{Key: backstop.PolicyElderlyAge, Region: backstop.NationalScope, Value: years, Unit: "years", EffectiveFrom: day, Source: "conformance test"}); err != nil {
			t.Fatal(err)
		}
		h, _ := db.FindHousehold(ctx, "6207252032010007")
		if elderly := h.Groups&backstop.GroupElderlyAlone != 0; elderly != (years == 60) {
			t.Errorf("elderly.age %v: 赵玉梅 elderly alone %v", years, elderly)
		}
		if n := elderlyOnes(); (years == 60) != (n == before) || (years == 100 && n != 0) {
			t.Errorf("elderly.age %v: %d elderly-alone households (%d at 60)", years, n, before)
		}
	}
	// The first import was an initial load, which sets keys, indexes and
	// foreign keys aside and builds them at the end. Writes that need them
	// (upserts by number) work, and a second household with the number is
	// refused.
	dup := &backstop.Household{Number: h.Number, VillageCode: h.VillageCode, Members: []*backstop.Member{{Number: "620722107206009901", Name: "重复", IDNumber: "620722197509140617", Relation: "户主"}}}
	if err := db.CreateHousehold(ctx, dup); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("a second household %s after the initial load: %v, want a conflict", h.Number, err)
	}
	if err := db.UpsertMember(ctx, tekun.Number, tekun.Members[0]); err != nil {
		t.Errorf("upsert of a loaded person: %v", err)
	}
	if err := db.UpdateHousehold(ctx, tekun); err != nil {
		t.Errorf("update of a loaded household: %v", err)
	}
	histBefore, _, _ := db.HouseholdHistory(ctx, h.Number, 0, 0)
	rev0 := registryRev(t, db)

	res = importTemplate(t, db)
	if res.HouseholdsCreated+res.HouseholdsUpdated+res.PeopleCreated+res.PeopleUpdated != 0 || res.HouseholdsUnchanged != 3 || res.PeopleUnchanged != 7 {
		t.Errorf("second import changed something: %+v", res)
	}
	h2, _ := db.FindHousehold(ctx, h.Number)
	if h2.Version != h.Version || !h2.UpdatedAt.Equal(h.UpdatedAt) {
		t.Errorf("re-import touched the household: version %d → %d", h.Version, h2.Version)
	}
	histAfter, _, _ := db.HouseholdHistory(ctx, h.Number, 0, 0)
	if len(histAfter) != len(histBefore) {
		t.Errorf("re-import added history: %d → %d entries", len(histBefore), len(histAfter))
	}
	if registryRev(t, db) != rev0+1 {
		// The import transaction bumps the revision once but stamps no row.
		t.Logf("registry rev %d → %d", rev0, registryRev(t, db))
	}
	// Both imports are on record and audited.
	imports, _ := db.FindImports(ctx, 10)
	if len(imports) != 2 {
		t.Errorf("imports on record = %d, want 2", len(imports))
	}
	entries, _, _ := db.FindAudit(ctx, backstop.AuditFilter{Action: "roster.import"})
	if len(entries) != 2 {
		t.Errorf("audit rows for imports = %d, want 2", len(entries))
	}
}

func registryRev(t *testing.T, db *sqlstore.DB) int64 {
	rev, err := db.RegistryRev(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

func testRosterBadInputs(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	tmpl := TemplateRoster(t)
	ctx := Admin()
	cases := []struct {
		name, content string
		wantRow       int
		wantColumn    string
		wantReason    string
	}{
		{"wrong check digit", ReplaceCell(t, tmpl, 3, "证件号码", "620723196309043751"), 3, "证件号码", "check digit"},
		{"swapped coordinates", ReplaceCell(t, ReplaceCell(t, tmpl, 5, "经度", "38.553"), 5, "纬度", "101.453"), 5, "经度", "swapped"},
		{"outside China", ReplaceCell(t, ReplaceCell(t, tmpl, 5, "经度", "2.35"), 5, "纬度", "48.85"), 5, "经度", "outside China"},
		{"unknown village code", ReplaceCell(t, tmpl, 5, "行政区划代码", "620725203299"), 5, "行政区划代码", "does not exist"},
		{"household rows disagree", ReplaceCell(t, tmpl, 3, "人均纯收入", "9900"), 3, "人均纯收入", "disagree"},
		{"not a number", ReplaceCell(t, tmpl, 6, "人均纯收入", "六千九"), 6, "人均纯收入", "must be a number"},
		{"duplicate person number", ReplaceCell(t, tmpl, 4, "人编号", "620723101201000101"), 4, "人编号", "appears twice"},
		{"bad yes/no", ReplaceCell(t, tmpl, 2, "危房户", "也许"), 2, "危房户", "是 or 否"},
		{"bad monitoring type", ReplaceCell(t, ReplaceCell(t, ReplaceCell(t, tmpl, 6, "易返贫致贫户(监测对象)类型", "贫困户"), 7, "易返贫致贫户(监测对象)类型", "贫困户"), 8, "易返贫致贫户(监测对象)类型", "贫困户"), 6, "易返贫致贫户(监测对象)类型", "monitoring type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := WriteFile(t, "roster.csv", tc.content)
			res, err := ImportRoster(ctx, db, path, backstop.ImportOptions{})
			if backstop.ErrorCode(err) != backstop.EINVALID {
				t.Fatalf("err = %v, want invalid", err)
			}
			found := false
			for _, p := range res.Problems {
				if p.Row == tc.wantRow && p.Column == tc.wantColumn && strings.Contains(p.Reason, tc.wantReason) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems = %v, want row %d, column %s: …%s…", res.Problems, tc.wantRow, tc.wantColumn, tc.wantReason)
			}
			if res.Written {
				t.Error("an import with a bad row was written")
			}
			if _, total, _ := db.FindHouseholds(ctx, backstop.HouseholdFilter{}); total != 0 {
				t.Errorf("%d households written despite a bad row", total)
			}
		})
	}
	fileCases := []struct{ name, file, content, want string }{
		{"missing required column", "roster.csv", strings.Replace(tmpl, "证件号码", "证件", 1), "证件号码"},
		{"empty file", "roster.csv", "", "empty"},
		{"header only", "roster.csv", strings.SplitN(tmpl, "\n", 2)[0] + "\n", "no data rows"},
		{"xlsx that is not a zip", "roster.xlsx", tmpl, "not a valid xlsx"},
	}
	for _, tc := range fileCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ImportRoster(ctx, db, WriteFile(t, tc.file, tc.content), backstop.ImportOptions{})
			msg := backstop.ErrorMessage(err)
			for _, d := range backstop.ErrorDetails(err) {
				msg += " " + d.String()
			}
			if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(msg, tc.want) {
				t.Errorf("err = %v (%s), want invalid mentioning %q", err, msg, tc.want)
			}
		})
	}
	t.Run("GBK csv", func(t *testing.T) {
		gbk := EncodeGB18030(t, tmpl)
		res, err := ImportRoster(ctx, db, WriteFile(t, "roster-gbk.csv", gbk), backstop.ImportOptions{DryRun: true})
		if err != nil || res.Encoding != "gb18030" || res.HouseholdsCreated != 3 {
			t.Errorf("GBK roster: %+v, %v; want 3 households read from gb18030", res, err)
		}
	})
}

func testRosterSkipInvalid(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	bad := ReplaceCell(t, TemplateRoster(t), 5, "证件号码", "620725195207032478")
	res, err := ImportRoster(Admin(), db, WriteFile(t, "r.csv", bad), backstop.ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.HouseholdsCreated != 2 || res.PeopleCreated != 6 || res.InvalidRows != 1 || len(res.Problems) != 1 || res.Problems[0].Row != 5 {
		t.Errorf("skip-invalid: %+v", res)
	}
}

func testRosterDryRun(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	res, err := ImportRoster(Admin(), db, SharedData(t, "templates/households.csv"), backstop.ImportOptions{DryRun: true})
	if err != nil || res.HouseholdsCreated != 3 || res.Written {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if _, total, _ := db.FindHouseholds(Admin(), backstop.HouseholdFilter{}); total != 0 {
		t.Errorf("dry run wrote %d households", total)
	}
}

func testRosterChangedRowUpdates(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	SetLine(t, db, backstop.NationalScope, 6000)
	importTemplate(t, db)
	tmpl := TemplateRoster(t)
	changed := tmpl
	for row := 2; row <= 4; row++ {
		changed = ReplaceCell(t, changed, row, "人均纯收入", "5500")
	}
	changed = ReplaceCell(t, changed, 3, "健康状况", "残疾")
	// And a new household in the same file: created, updated and unchanged
	// households side by side each get the history they should.
	for _, line := range strings.Split(changed, "\n") {
		if strings.Contains(line, "620725203201000701") {
			line = strings.ReplaceAll(strings.ReplaceAll(line, "620725203201000701", "620725203201009901"), "6207252032010007", "6207252032010099")
			changed = strings.TrimRight(changed, "\n") + "\n" + line + "\n"
		}
	}
	res, err := ImportRoster(Admin(), db, WriteFile(t, "r.csv", changed), backstop.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.HouseholdsCreated != 1 || res.HouseholdsUpdated != 1 || res.HouseholdsUnchanged != 2 || res.PeopleCreated != 1 || res.PeopleUpdated != 1 || res.PeopleUnchanged != 6 {
		t.Errorf("changed import: %+v", res)
	}
	for number, want := range map[string]int{"6207252032010099": 1, "6207252032010007": 1, "6207221072060012": 1} {
		if hist, _, _ := db.HouseholdHistory(Admin(), number, 0, 0); len(hist) != want {
			t.Errorf("household %s: %d history entries, want %d", number, len(hist), want)
		}
	}
	h, _ := db.FindHousehold(Admin(), "6207231012010001")
	if *h.IncomePerCapita != 5500 || h.Groups&backstop.GroupDisability == 0 || h.Groups&backstop.GroupLowIncome == 0 || h.Version != 2 {
		t.Errorf("after update: income %v, groups %v, version %d", *h.IncomePerCapita, h.Groups.Names(), h.Version)
	}
	hist, _, _ := db.HouseholdHistory(Admin(), h.Number, 0, 0)
	if len(hist) != 2 {
		t.Errorf("history entries = %d, want 2", len(hist))
	}
	// Paged: the older entry on the second page of one, the total said.
	if older, total, err := db.HouseholdHistory(Admin(), h.Number, 1, 1); err != nil || len(older) != 1 || total != 2 || !older[0].At.Equal(hist[1].At) {
		t.Errorf("history page 2: %v %d of %d", err, len(older), total)
	}
}

// UserContext creates a user and returns a context acting as that user.
func UserContext(t testing.TB, db *sqlstore.DB, name string, role backstop.Role, region string) context.Context {
	t.Helper()
	u := &backstop.User{Name: name, Role: role, Region: region}
	if err := db.CreateUser(Admin(), u, "correct horse battery"); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	got, err := db.Authenticate(context.Background(), name, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return backstop.NewContextWithUser(context.Background(), got)
}

func testScope(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	// 沙河镇 (临泽) officer: sees 西寨村's household, not 民乐's.
	shahe := UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
	if _, err := db.FindHousehold(shahe, "6207231012010001"); err != nil {
		t.Errorf("own township: %v", err)
	}
	if _, err := db.FindHousehold(shahe, "6207221072060012"); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("other township read: %v, want not_found", err)
	}
	list, total, err := db.FindHouseholds(shahe, backstop.HouseholdFilter{})
	if err != nil || total != 1 || len(list) != 1 || list[0].Number != "6207231012010001" {
		t.Errorf("list in scope = %d, %v", total, err)
	}
	// An explicit filter for another region returns nothing, not an error.
	if _, total, _ := db.FindHouseholds(shahe, backstop.HouseholdFilter{Region: "620722"}); total != 0 {
		t.Errorf("filter outside scope listed %d", total)
	}
	if _, total, _ := db.FindHouseholds(shahe, backstop.HouseholdFilter{Query: "马福林"}); total != 0 {
		t.Errorf("search found a household outside scope")
	}
	err = db.DeleteHousehold(shahe, "6207221072060012")
	if backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("delete outside scope: %v, want forbidden", err)
	}
	other, _ := db.FindHousehold(Admin(), "6207221072060012")
	other.Members = nil
	other.Phone = "13800000000"
	if err := db.UpdateHousehold(shahe, other); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("update outside scope: %v, want forbidden", err)
	}
	var n int
	db.ExportHouseholds(shahe, backstop.HouseholdFilter{}, func(*backstop.Household) error { n++; return nil })
	if n != 1 {
		t.Errorf("export in scope wrote %d households, want 1", n)
	}
	// A roster row for a village outside the scope is refused: a write
	// outside the region (403).
	_, err = ImportRoster(shahe, db, SharedData(t, "templates/households.csv"), backstop.ImportOptions{})
	if backstop.ErrorCode(err) != backstop.EFORBIDDEN || !strings.Contains(backstop.ErrorDetails(err)[0].Reason, "outside your region") {
		t.Errorf("import outside scope: %v", err)
	}
	// Department users read but never write; auditors the same.
	dept := UserContext(t, db, "weather", backstop.RoleDepartment, "620700")
	if err := db.DeleteHousehold(dept, "6207231012010001"); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("department delete: %v, want forbidden", err)
	}
}

func testHouseholdEdits(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := UserContext(t, db, "linze", backstop.RoleCounty, "620723")
	months := 2
	h := &backstop.Household{Number: "6207231012019999", VillageCode: "620723101201", Type: "一般农户", Size: 2,
		Location: &backstop.Point{Lon: 100.17, Lat: 39.15}, HousingGrade: "c",
		Members: []*backstop.Member{
			{Number: "620723101201999901", Name: "王大", IDNumber: "620723194501010014", Relation: "户主", Health: "残疾", MigrantMonths: &months},
		}}
	fixID(h.Members[0])
	if err := db.CreateHousehold(ctx, h); err != nil {
		t.Fatalf("create: %v %v", err, backstop.ErrorDetails(err))
	}
	if err := db.CreateHousehold(ctx, h); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("create twice: %v, want conflict", err)
	}
	got, err := db.FindHousehold(ctx, h.Number)
	if err != nil || got.HousingGrade != "C" || got.People != 1 || got.Groups&backstop.GroupDisability == 0 || got.Groups&backstop.GroupElderlyAlone == 0 {
		t.Fatalf("created = %+v, %v", got, err)
	}
	m2 := &backstop.Member{Number: "620723101201999902", Name: "王二", IDNumber: "620723197001010011", Relation: "之子"}
	fixID(m2)
	if err := db.UpsertMember(ctx, h.Number, m2); err != nil {
		t.Fatal(err)
	}
	got, _ = db.FindHousehold(ctx, h.Number)
	if got.People != 2 || got.Groups&backstop.GroupElderlyAlone != 0 {
		t.Errorf("after adding a son: people %d, groups %v", got.People, got.Groups.Names())
	}
	if err := db.DeleteMember(ctx, h.Number, m2.Number); err != nil {
		t.Fatal(err)
	}
	bad := *h
	bad.Members = nil
	bad.VillageCode = "620723101299"
	if err := db.UpdateHousehold(ctx, &bad); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("unknown village: %v, want invalid", err)
	}
	if err := db.DeleteHousehold(ctx, h.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindHousehold(ctx, h.Number); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	entries, _, _ := db.FindAudit(Admin(), backstop.AuditFilter{Record: h.Number})
	if len(entries) < 2 {
		t.Errorf("audit rows for the household = %d", len(entries))
	}
}

// testMemberDetails: a member's descriptive fields, packed into one column,
// come back as written, odd characters, zero months and a "no" included.
func testMemberDetails(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := Admin()
	zero, no, yes, twelve := 0, false, true, 12
	members := []*backstop.Member{
		{Number: "620723101201888801", Name: "李\"秀\\兰", IDNumber: "620723196309043750", Relation: "户主", Ethnicity: "回族", Education: "小学",
			SchoolStatus: "非在校生", Health: "长期慢性病", Labour: "弱劳动力或半劳动力", MigrantMonths: &zero, IllnessInsured: &no,
			PovertyCause: "因病\t\"重\"", FirstIdentified: "2016-06-01", Identified: "2017-03-15"},
		{Number: "620723101201888802", Name: "张磊", IDNumber: "620723199009070398", Relation: "之子", MigrantMonths: &twelve, IllnessInsured: &yes},
		{Number: "620723101201888803", Name: "张小", IDNumber: "620723201010194076", Relation: "之孙"},
	}
	for _, m := range members {
		fixID(m)
	}
	h := &backstop.Household{Number: "6207231012018888", VillageCode: "620723101201", Size: 3, Members: members}
	if err := db.CreateHousehold(ctx, h); err != nil {
		t.Fatalf("create: %v %v", err, backstop.ErrorDetails(err))
	}
	got, err := db.FindHousehold(ctx, h.Number)
	if err != nil {
		t.Fatal(err)
	}
	byNumber := map[string]*backstop.Member{}
	for _, m := range got.Members {
		byNumber[m.Number] = m
	}
	for _, want := range members {
		m := byNumber[want.Number]
		if m == nil {
			t.Fatalf("member %s missing", want.Number)
		}
		w, g := *want, *m
		w.ID, w.HouseholdNumber, w.BirthDate, w.Disabled = g.ID, g.HouseholdNumber, g.BirthDate, g.Disabled
		if deref(w.MigrantMonths) != deref(g.MigrantMonths) || deref(w.IllnessInsured) != deref(g.IllnessInsured) {
			t.Errorf("member %s: months %v insured %v, want %v %v", want.Number, deref(g.MigrantMonths), deref(g.IllnessInsured), deref(w.MigrantMonths), deref(w.IllnessInsured))
		}
		w.MigrantMonths, w.IllnessInsured, g.MigrantMonths, g.IllnessInsured = nil, nil, nil, nil
		if w != g {
			t.Errorf("member %s:\n got %+v\nwant %+v", want.Number, g, w)
		}
	}
	if m := byNumber["620723101201888803"]; m.MigrantMonths != nil || m.IllnessInsured != nil {
		t.Errorf("unknown months and insurance came back as %v, %v", m.MigrantMonths, m.IllnessInsured)
	}
}

// testSearch: the household list's q finds a household by its number, a
// member's person or ID number (a final x in either case) and by names.
func testSearch(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	// A person whose ID number ends in X, searched with a small x.
	idX := ""
	for n := 100; idX == ""; n++ {
		if first17 := fmt.Sprintf("62072319800101%03d", n); backstop.IDCheckDigit(first17) == 'X' {
			idX = first17 + "X"
		}
	}
	if err := db.CreateHousehold(ctx, &backstop.Household{Number: "6207231012015555", VillageCode: "620723101201", Size: 1,
		Members: []*backstop.Member{{Number: "620723101201555501", Name: "王五", IDNumber: idX, Relation: "户主"}}}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		strings.ToLower(idX): {"6207231012015555"},
		"6207231012010001":   {"6207231012010001"}, // household number
		"620723101201000102": {"6207231012010001"}, // 李秀兰's person number
		"620723196309043750": {"6207231012010001"}, // her ID number
		"620725195207032477": {"6207252032010007"},
		"马艳":                 {"6207221072060012"}, // a member's name
		"张":                  {"6207231012010001"}, // part of the head's name
		"6207":               nil,                  // numbers match whole, not in part
		"李秀兰 ":               {"6207231012010001"},
	} {
		list, total, err := db.FindHouseholds(ctx, backstop.HouseholdFilter{Query: q, Limit: 10})
		if err != nil {
			t.Fatalf("q=%q: %v", q, err)
		}
		var got []string
		for _, h := range list {
			got = append(got, h.Number)
		}
		if !slices.Equal(got, want) || total != len(want) {
			t.Errorf("q=%q: %v (total %d), want %v", q, got, total, want)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}

// fixID replaces a test member's check digit with the right one.
func fixID(m *backstop.Member) {
	m.IDNumber = m.IDNumber[:17] + string(backstop.IDCheckDigit(m.IDNumber[:17]))
}

func testUsers(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := Admin()
	if _, err := db.EnsureAdmin(context.Background(), "first admin password"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "admin", "first admin password"); err != nil {
		t.Errorf("admin login: %v", err)
	}
	if _, err := db.Authenticate(ctx, "admin", "wrong password!"); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("wrong password: %v", err)
	}
	if err := db.CreateUser(ctx, &backstop.User{Name: "x", Role: backstop.RoleTownship, Region: "620723"}, "long enough pw"); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("township user with a county code: %v, want invalid", err)
	}
	if err := db.CreateUser(ctx, &backstop.User{Name: "x", Role: backstop.RoleTownship, Region: "620723101"}, "short"); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("short password: %v, want invalid", err)
	}
	uctx := UserContext(t, db, "town", backstop.RoleTownship, "620723101")
	secret, tok, err := db.CreateToken(ctx, "town", "ci", 0)
	if err != nil || !strings.HasPrefix(secret, sqlstore.TokenPrefix) || tok.ID == 0 {
		t.Fatalf("token: %v", err)
	}
	u, err := db.UserByToken(ctx, secret)
	if err != nil || u.Name != "town" || u.Via != "token" {
		t.Errorf("user by token = %+v, %v", u, err)
	}
	if _, err := db.UserByToken(ctx, secret+"x"); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("forged token: %v", err)
	}
	// last_used moves with use, at most once a minute: set it back two
	// minutes (as if the token had last been used then) and use it.
	lastUsed := func() time.Time {
		t.Helper()
		toks, _, err := db.FindTokens(ctx, "town", 10, 0)
		if err != nil || len(toks) != 1 || toks[0].LastUsed == nil {
			t.Fatalf("tokens after a use: %v %+v", err, toks)
		}
		return *toks[0].LastUsed
	}
	first := lastUsed()
	for i := 0; i < 2; i++ {
		back := time.Now().UTC().Add(-2 * time.Minute)
		if err := db.ExecForTest(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, back, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserByToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); time.Since(got) > time.Minute || got.Before(first.Add(-time.Second)) {
			t.Errorf("use %d: last_used %v, was set back to %v", i+2, got, back)
		}
	}
	sess, err := db.CreateSession(ctx, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := db.UserBySession(ctx, sess); err != nil || u.Name != "town" {
		t.Errorf("session user: %v", err)
	}
	if _, _, err := db.CreateToken(uctx, "admin", "steal", 0); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("token for someone else: %v", err)
	}
	if _, _, err := db.FindUsers(uctx, backstop.UserFilter{}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("township lists users: %v", err)
	}
	u.Disabled = true
	if err := db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserBySession(ctx, sess); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("disabled user's session: %v", err)
	}
	if _, err := db.UserByToken(ctx, secret); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("disabled user's token: %v", err)
	}
}

func testAuditAppendOnly(t *testing.T, db *sqlstore.DB) {
	ctx := Admin()
	if err := db.Audit(ctx, "pii.reveal", "household", "1", "test"); err != nil {
		t.Fatal(err)
	}
	if err := db.TamperAuditForTest(context.Background()); err == nil {
		t.Error("the database let an audit row be changed")
	}
	entries, total, err := db.FindAudit(ctx, backstop.AuditFilter{})
	if err != nil || total != 1 || entries[0].Action != "pii.reveal" || entries[0].Actor != "cli:test" {
		t.Errorf("audit = %+v, %v", entries, err)
	}
	town := &backstop.User{Name: "t", Role: backstop.RoleTownship, Region: "620723101000"}
	if _, _, err := db.FindAudit(backstop.NewContextWithUser(ctx, town), backstop.AuditFilter{}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("township reads audit: %v", err)
	}
}

func testPolicy(t *testing.T, db *sqlstore.DB) {
	ctx := Admin()
	at := func(region string, y int) (*backstop.Policy, error) {
		return db.PolicyAt(ctx, backstop.PolicyMonitoringLine, region, time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC))
	}
	// Lines are set per province and year: Gansu's seeded 2023 and 2024
	// lines, the national base in 2021 only, and no line at all in a year
	// nobody set (never last year's, never the national base).
	for _, c := range []struct {
		region string
		year   int
		want   float64
	}{{"620723101201", 2023, 7200}, {"620723101201", 2024, 7800}, {"110101001001", 2021, 6000}, {"620723101201", 2021, 6000}} {
		if p, err := at(c.region, c.year); err != nil || p.Value != c.want {
			t.Errorf("line of %s in %d = %+v, %v; want %g", c.region, c.year, p, err, c.want)
		}
	}
	for _, c := range []struct {
		region string
		year   int
	}{{"620723101201", 2025}, {"110101001001", 2022}, {"620723101201", time.Now().Year()}} {
		if p, err := at(c.region, c.year); backstop.ErrorCode(err) != backstop.ENOTFOUND {
			t.Errorf("line of %s in %d = %+v, %v; want none set", c.region, c.year, p, err)
		}
	}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	gansu := &backstop.Policy{Key: backstop.PolicyMonitoringLine, Region: "620000", Value: 8200, Unit: "yuan/person/year", EffectiveFrom: from, EffectiveTo: &to, Source: "test"}
	if err := db.CreatePolicy(ctx, gansu); err != nil {
		t.Fatal(err)
	}
	if p, _ := at("620723101201", 2025); p == nil || p.ID != gansu.ID || p.Region != "620000000000" {
		t.Errorf("Gansu village line in 2025 = %+v, want the new row", p)
	}
	// Versions are checked against their key's registration.
	for _, bad := range []*backstop.Policy{
		{Key: "no.such.key", Value: 1, EffectiveFrom: from, Source: "test"},
		{Key: backstop.PolicyMonitoringLine, Value: -5, EffectiveFrom: from, Source: "test"},
		{Key: backstop.PolicyMonitoringLine, Value: 7000, Unit: "yuan", EffectiveFrom: from, Source: "test"},
		{Key: backstop.PolicyMonitoringLine, Value: 7000, EffectiveFrom: from},
		{Key: backstop.PolicyMonitoringLine, Data: []byte(`{"a":1}`), EffectiveFrom: from, Source: "test"},
	} {
		if err := db.CreatePolicy(ctx, bad); backstop.ErrorCode(err) != backstop.EINVALID {
			t.Errorf("policy %+v: %v, want invalid", bad, err)
		}
	}
	// Every required key has its seeded version with a source note.
	all, err := db.FindPolicies(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if missing := backstop.MissingPolicies(all); len(missing) > 0 {
		t.Errorf("required policy keys without a seeded version: %v", missing)
	}
	for _, p := range all {
		if p.Source == "" {
			t.Errorf("policy %s %d has no source note", p.Key, p.ID)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("seeded policy %s %d fails its key's check: %v", p.Key, p.ID, err)
		}
	}
}

func testRegionCounts(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	counts, err := db.RegionCounts(Admin(), "620700")
	if err != nil {
		t.Fatal(err)
	}
	if c := counts["620700000000"]; c == nil || c.Households != 3 || c.People != 7 {
		t.Errorf("city total = %+v", c)
	}
	if c := counts["620722000000"]; c == nil || c.Households != 1 || c.Groups[backstop.GroupDibao] != 1 {
		t.Errorf("民乐 = %+v", c)
	}
	town := UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
	counts, _ = db.RegionCounts(town, "620700")
	if c := counts["620700000000"]; c.Households != 1 {
		t.Errorf("city total seen by a township = %d, want 1 (own households only)", c.Households)
	}
}

// testExportPaging streams more households than one page holds and checks
// that none is skipped or repeated.
func testExportPaging(t *testing.T, db *sqlstore.DB) {
	ctx := Admin()
	if _, err := demo.Fill(ctx, db, 1234, 7, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	people := 0
	err := db.ExportHouseholds(ctx, backstop.HouseholdFilter{}, func(h *backstop.Household) error {
		if seen[h.Number] {
			t.Fatalf("household %s exported twice", h.Number)
		}
		seen[h.Number] = true
		people += len(h.Members)
		if len(h.Members) != h.People {
			t.Fatalf("household %s: %d members exported, people = %d", h.Number, len(h.Members), h.People)
		}
		return nil
	})
	if err != nil || len(seen) != 1234 {
		t.Errorf("exported %d households, %v", len(seen), err)
	}
	counts, _ := db.RegionCounts(ctx, "620700")
	if counts["620700000000"].People != people {
		t.Errorf("people: exported %d, counted %d", people, counts["620700000000"].People)
	}
}
