package storetest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// Region scope beyond households (issue 9): templates, consultations, the
// audit trail, the department role and the answers outside a region.

// scopedWarning stores a warning whose areas cover region, as alerting
// would have decided.
func scopedWarning(t *testing.T, db *sqlstore.DB, id, region string, level backstop.WarningLevel) *backstop.Warning {
	t.Helper()
	w := &backstop.Warning{Sender: "scope.test", Identifier: id, Sent: time.Now().UTC().Truncate(time.Second), Status: "Actual", MsgType: "Alert", Scope: "Public",
		Source: "json", Hazard: "rainstorm", Level: level, Region: region, Areas: []backstop.WarningArea{{Desc: region, Regions: []string{region}}}, CAP: []byte("<alert/>")}
	if err := db.CreateWarning(Admin(), w, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

func testTemplatesByRegion(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	admin := Admin()
	city := UserContext(t, db, "zy_duty", backstop.RoleCity, "620700")
	linze := UserContext(t, db, "lz_duty", backstop.RoleCounty, "620723")
	ganzhou := UserContext(t, db, "gz_duty", backstop.RoleCounty, "620702")
	village := "620723101201"

	// The seeded templates are the national defaults.
	national, err := db.TemplateFor(linze, village, "rainstorm", "red")
	if err != nil || national.Region != backstop.NationalScope || national.Hazard != "rainstorm" {
		t.Fatalf("national rainstorm template: %v %+v", err, national)
	}
	// The city's own general template overrides the national ones in the
	// city: the most specific region first, then hazard and level.
	cityAll := &backstop.MessageTemplate{Region: "620700", Text: "张掖市：{hazard}{level}预警，{area}。"}
	if err := db.SaveTemplate(city, cityAll); err != nil || cityAll.Region != "620700000000" {
		t.Fatalf("city template: %v, region %q", err, cityAll.Region)
	}
	if got, _ := db.TemplateFor(linze, village, "rainstorm", "red"); got.ID != cityAll.ID {
		t.Errorf("in 临泽 after the city's template: %+v", got)
	}
	// A county's own, saved without naming a region, is the county's and
	// overrides the city's in the county only.
	own := &backstop.MessageTemplate{Hazard: "rainstorm", Text: "临泽县：暴雨{level}预警，{area}，{action}"}
	if err := db.SaveTemplate(linze, own); err != nil || own.Region != "620723000000" {
		t.Fatalf("county template: %v, region %q", err, own.Region)
	}
	ownAll := &backstop.MessageTemplate{Text: "临泽县：{hazard}{level}预警。"}
	if err := db.SaveTemplate(linze, ownAll); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		region string
		hazard backstop.Hazard
		want   int64
	}{
		{village, "rainstorm", own.ID},       // the county's, hazard-specific
		{village, "hail", ownAll.ID},         // the county's general one
		{"620723", "rainstorm", own.ID},      // the county itself
		{"620702", "rainstorm", cityAll.ID},  // another county: the city's
		{"620902", "rainstorm", national.ID}, // another city: the national default
	} {
		if got, err := db.TemplateFor(linze, c.region, c.hazard, "red"); err != nil || got.ID != c.want {
			t.Errorf("template for %s %s: %v %+v, want %d", c.region, c.hazard, err, got, c.want)
		}
	}
	// Same hazard and level in two regions; twice in one region is a
	// conflict.
	gz := &backstop.MessageTemplate{Hazard: "rainstorm", Text: "甘州区：暴雨{level}预警。"}
	if err := db.SaveTemplate(ganzhou, gz); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveTemplate(linze, &backstop.MessageTemplate{Hazard: "rainstorm", Text: "{hazard}"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("a second rainstorm template in 临泽: %v", err)
	}
	// Editing needs the template's region inside the user's, and answers
	// the same for an id elsewhere and an id that does not exist.
	forbidden := func(what string, err error) string {
		t.Helper()
		if backstop.ErrorCode(err) != backstop.EFORBIDDEN {
			t.Errorf("%s: %v, want forbidden", what, err)
		}
		return backstop.ErrorMessageZH(err)
	}
	forbidden("a county naming another county's region", db.SaveTemplate(linze, &backstop.MessageTemplate{Region: "620702", Text: "{hazard}"}))
	forbidden("a county editing the national default", db.SaveTemplate(linze, &backstop.MessageTemplate{ID: national.ID, Hazard: "rainstorm", Text: "改写{hazard}"}))
	forbidden("a county editing the city's", db.SaveTemplate(linze, &backstop.MessageTemplate{ID: cityAll.ID, Text: "改写{hazard}"}))
	elsewhere := forbidden("a county editing another county's", db.SaveTemplate(linze, &backstop.MessageTemplate{ID: gz.ID, Hazard: "rainstorm", Text: "改写{hazard}"}))
	missing := forbidden("a county editing a template that does not exist", db.SaveTemplate(linze, &backstop.MessageTemplate{ID: 999999, Hazard: "rainstorm", Text: "改写{hazard}"}))
	if strings.ReplaceAll(elsewhere, itoa(gz.ID), "#") != strings.ReplaceAll(missing, "999999", "#") {
		t.Errorf("another county's template and a missing one answer differently: %q, %q", elsewhere, missing)
	}
	if err := db.SaveTemplate(admin, &backstop.MessageTemplate{ID: 999999, Text: "{hazard}"}); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("the national admin editing a missing template: %v, want not_found", err)
	}
	if err := db.SaveTemplate(linze, &backstop.MessageTemplate{ID: own.ID, Region: "620723101", Hazard: "rainstorm", Text: "{hazard}"}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("moving a template to another region: %v, want invalid", err)
	}
	own.Text = "临泽县：暴雨{level}预警，请转移。"
	if err := db.SaveTemplate(linze, own); err != nil || own.Region != "620723000000" {
		t.Errorf("the county editing its own: %v", err)
	}
	// The city edits the county's (inside the city).
	if err := db.SaveTemplate(city, &backstop.MessageTemplate{ID: gz.ID, Hazard: "rainstorm", Text: "甘州区：暴雨{level}预警！"}); err != nil {
		t.Errorf("the city editing a county's template: %v", err)
	}
	// The county lists the templates that apply to it and its own, not
	// another county's.
	list, err := db.FindTemplates(linze)
	if err != nil {
		t.Fatal(err)
	}
	regions := map[string]bool{}
	for _, tm := range list {
		regions[tm.Region] = true
	}
	if !regions[backstop.NationalScope] || !regions["620700000000"] || !regions["620723000000"] || regions["620702000000"] {
		t.Errorf("the county lists templates of %v", regions)
	}
	if _, err := db.FindTemplate(linze, gz.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("the county reads another county's template: %v", err)
	}
	// Its audit rows belong to the template's region.
	rows, _, _ := db.FindAudit(admin, backstop.AuditFilter{Action: "template.save", Record: itoa(own.ID)})
	if len(rows) != 2 || rows[0].Region != "620723000000" {
		t.Errorf("template audit rows %+v", rows)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func testConsultationScope(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	linze := UserContext(t, db, "lz_duty", backstop.RoleCounty, "620723")
	linze2 := UserContext(t, db, "lz_chief", backstop.RoleCounty, "620723")
	ganzhou := UserContext(t, db, "gz_duty", backstop.RoleCounty, "620702")
	city := UserContext(t, db, "zy_duty", backstop.RoleCity, "620700")
	w := scopedWarning(t, db, "lz-1", "620723000000", backstop.WarningYellow)
	c := func() *backstop.Consultation {
		return &backstop.Consultation{WarningID: w.ID, Departments: []string{"气象局"}, Assessment: "降雨集中在沙河镇", Decision: backstop.DecisionRelease}
	}
	// Recorded only for warnings inside the user's region.
	if err := db.CreateConsultation(ganzhou, c()); backstop.ErrorCode(err) != backstop.EFORBIDDEN || !strings.Contains(backstop.ErrorMessageZH(err), "管辖范围") {
		t.Errorf("another county records a consultation: %v", err)
	}
	mine := c()
	if err := db.CreateConsultation(linze, mine); err != nil {
		t.Fatal(err)
	}
	// Approved by another person, inside the region.
	_, err := db.ApproveConsultation(linze, mine.ID)
	if backstop.ErrorCode(err) != backstop.EFORBIDDEN || !strings.Contains(backstop.ErrorMessageZH(err), "另一位") {
		t.Errorf("approving one's own: %v (%s)", err, backstop.ErrorMessageZH(err))
	}
	if _, err := db.ApproveConsultation(ganzhou, mine.ID); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("another county approves: %v", err)
	}
	got, err := db.ApproveConsultation(linze2, mine.ID)
	if err != nil || got.Approver != "lz_chief" || got.ApprovedAt == nil {
		t.Fatalf("approval by a colleague: %v %+v", err, got)
	}
	if _, err := db.ApproveConsultation(city, mine.ID); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("approving twice: %v", err)
	}
	// The city approves a county's consultation: the county is inside it.
	other := c()
	if err := db.CreateConsultation(linze, other); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApproveConsultation(city, other.ID); err != nil {
		t.Errorf("the city approves: %v", err)
	}
	// Consultations are read with their warning, by everyone.
	if cs, err := db.FindConsultations(ganzhou, w.ID); err != nil || len(cs) != 2 {
		t.Errorf("reading the consultations: %d, %v", len(cs), err)
	}
}

func testAuditByRegion(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	admin := Admin()
	shahe := UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
	if err := db.Audit(shahe, "pii.reveal", "household", "6207231012010001", "shown"); err != nil {
		t.Fatal(err)
	}
	minle := UserContext(t, db, "minle", backstop.RoleTownship, "620722107")
	if err := db.DeleteHousehold(minle, "6207221072060012"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateContacts(admin, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "沙河镇值班", Region: "620723101", Phone: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	w := scopedWarning(t, db, "gz-1", "620702000000", backstop.WarningRed)
	linzeAuditor := UserContext(t, db, "lz_audit", backstop.RoleAuditor, "620723")
	national := UserContext(t, db, "audit", backstop.RoleAuditor, backstop.NationalScope)
	all, total, err := db.FindAudit(admin, backstop.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, n, _ := db.FindAudit(national, backstop.AuditFilter{Limit: 1000}); n != total {
		t.Errorf("the national auditor reads %d of %d rows", n, total)
	}
	byRecord := map[string]*backstop.AuditEntry{}
	for _, e := range all {
		byRecord[e.Action+" "+e.Record] = e
	}
	for key, region := range map[string]string{
		"pii.reveal 6207231012010001":       "620723101201",
		"household.delete 6207221072060012": "620722107206",
		"warning.create " + itoa(w.ID):      "620702000000",
		"regions.import ":                   backstop.NationalScope, // the CLI's, no record region
	} {
		if e := byRecord[key]; e == nil || e.Region != region {
			t.Errorf("audit row %s: %+v, want region %s", key, e, region)
		}
	}
	rows, n, err := db.FindAudit(linzeAuditor, backstop.AuditFilter{Limit: 1000})
	if err != nil || n == 0 || n != len(rows) {
		t.Fatalf("the county auditor: %d rows, %v", n, err)
	}
	seen := map[string]bool{}
	for _, e := range rows {
		if !backstop.CodeWithin(e.Region, "620723000000") {
			t.Errorf("the county auditor reads a row of %s: %+v", e.Region, e)
		}
		seen[e.Action] = true
	}
	if !seen["pii.reveal"] || !seen["contact.create"] || seen["household.delete"] || seen["warning.create"] || seen["regions.import"] {
		t.Errorf("the county auditor reads %v", seen)
	}
}

func testDepartmentReadsNoHousehold(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	dept := UserContext(t, db, "weather", backstop.RoleDepartment, "620700")
	if u := backstop.UserFromContext(dept); u.Can(backstop.PermReadRegistry) || u.Can(backstop.PermExport) || u.Can(backstop.PermRevealPII) {
		t.Errorf("the department role reads the registry")
	}
	if _, err := db.FindHousehold(dept, "6207231012010001"); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("department reads a household: %v", err)
	}
	if _, _, err := db.FindHouseholds(dept, backstop.HouseholdFilter{}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("department lists households: %v", err)
	}
	if _, err := db.RegionCounts(dept, "620700"); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("department counts households by region: %v", err)
	}
	if _, _, err := db.HouseholdHistory(dept, "6207231012010001", 0, 0); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("department reads a household's history: %v", err)
	}
	// Warnings stay theirs.
	w := scopedWarning(t, db, "zy-1", "620723000000", backstop.WarningRed)
	if _, err := db.FindWarning(dept, w.ID); err != nil {
		t.Errorf("department reads a warning: %v", err)
	}
}

// testNoExistenceOracle: outside a user's region, a number that exists and
// one that does not get the same answer, 403, for every write.
func testNoExistenceOracle(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	shahe := UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
	const exists, missing = "6207221072060012", "6207221072069999" // 民乐县炒面庄村: one stored, one not
	same := func(what string, a, b error, an, bn string) {
		t.Helper()
		if backstop.ErrorCode(a) != backstop.EFORBIDDEN || backstop.ErrorCode(b) != backstop.EFORBIDDEN {
			t.Errorf("%s: %v / %v, want forbidden for both", what, a, b)
			return
		}
		if strings.ReplaceAll(backstop.ErrorMessage(a), an, "#") != strings.ReplaceAll(backstop.ErrorMessage(b), bn, "#") ||
			strings.ReplaceAll(backstop.ErrorMessageZH(a), an, "#") != strings.ReplaceAll(backstop.ErrorMessageZH(b), bn, "#") {
			t.Errorf("%s: the answers differ: %q / %q", what, backstop.ErrorMessage(a), backstop.ErrorMessage(b))
		}
	}
	hh := func(number string) *backstop.Household {
		return &backstop.Household{Number: number, VillageCode: "620723101201", HeadName: "新户"}
	}
	same("update", db.UpdateHousehold(shahe, hh(exists)), db.UpdateHousehold(shahe, hh(missing)), exists, missing)
	same("delete", db.DeleteHousehold(shahe, exists), db.DeleteHousehold(shahe, missing), exists, missing)
	m := func(n string) *backstop.Member {
		return &backstop.Member{Number: n, Name: "新人", IDNumber: "620723199001010019", Relation: "户主"}
	}
	fixCheck := func(m *backstop.Member) *backstop.Member {
		m.IDNumber = m.IDNumber[:17] + string(backstop.IDCheckDigit(m.IDNumber[:17]))
		return m
	}
	same("upsert member", db.UpsertMember(shahe, exists, fixCheck(m(exists+"01"))), db.UpsertMember(shahe, missing, fixCheck(m(missing+"01"))), exists, missing)
	same("delete member", db.DeleteMember(shahe, exists, exists+"01"), db.DeleteMember(shahe, missing, missing+"01"), exists, missing)
	// Creating one in the user's village with a number of elsewhere: not
	// "exists already".
	same("create", db.CreateHousehold(shahe, hh(exists)), db.CreateHousehold(shahe, hh(missing)), exists, missing)
	// A person number of a household elsewhere in an own household: not
	// "belongs to a household outside your region".
	withMember := func(person string) *backstop.Household {
		h := hh("6207231012019001")
		h.Members = []*backstop.Member{fixCheck(m(person))}
		return h
	}
	same("a person number of elsewhere", db.CreateHousehold(shahe, withMember("620722107206001201")), db.CreateHousehold(shahe, withMember("620722107206999901")),
		"620722107206001201", "620722107206999901")
	// A roster row naming them is refused by the row, as a write outside.
	roster := TemplateRoster(t)
	lines := strings.Split(strings.TrimRight(roster, "\n"), "\n")
	for _, number := range []string{exists, missing} {
		row := strings.ReplaceAll(strings.ReplaceAll(lines[1], "6207231012010001", number), "620723101201000101", number+"01")
		_, err := ImportRoster(shahe, db, WriteFile(t, "r.csv", lines[0]+"\n"+row+"\n"), backstop.ImportOptions{})
		if backstop.ErrorCode(err) != backstop.EFORBIDDEN || len(backstop.ErrorDetails(err)) == 0 || !strings.Contains(backstop.ErrorDetails(err)[0].Reason, "outside your region") {
			t.Errorf("a roster row with %s: %v %v", number, err, backstop.ErrorDetails(err))
		}
	}
	// Contacts by id: one elsewhere and one that does not exist.
	admin := Admin()
	ct := &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "民乐值班", Region: "620722", Phone: "13800138000"}
	if err := db.CreateContacts(admin, ct); err != nil {
		t.Fatal(err)
	}
	linze := UserContext(t, db, "lz_duty", backstop.RoleCounty, "620723")
	same("delete contact", db.DeleteContact(linze, ct.ID), db.DeleteContact(linze, 999999), itoa(ct.ID), "999999")
	if err := db.DeleteContact(admin, 999999); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("the national admin deleting a missing contact: %v, want not_found", err)
	}
	// Inside the region, nothing changed: not found is 404, taken is 409.
	if err := db.DeleteHousehold(shahe, "6207231012019999"); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("a missing household of the user's village: %v, want not_found", err)
	}
	if err := db.CreateHousehold(shahe, hh("6207231012010001")); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("an own household's number again: %v, want conflict", err)
	}
}
