package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestTextLimitsAPI: the texts of warnings made in backstop, contacts and
// consultations have limits, refused through the API with the field and
// the limit named in Chinese (a 100,000-character headline and a
// 5,000-character contact name were stored and shown in every list); at
// the limit they are taken.
func TestTextLimitsAPI(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700"})
	city := f.token(t, "boss", backstop.RoleCity, "620700")
	post := func(path string, v any) (int, httpx.ErrorBody, []byte) {
		t.Helper()
		b, _ := json.Marshal(v)
		resp, body := f.do(t, "POST", path, city, strings.NewReader(string(b)), "application/json")
		var eb httpx.ErrorBody
		if resp.StatusCode >= 400 {
			eb = decode[httpx.ErrorBody](t, body)
		}
		return resp.StatusCode, eb, body
	}
	warning := func(headline string) map[string]any {
		return map[string]any{"hazard": "暴雨", "level": "蓝", "headline": headline, "areas": []any{map[string]any{"regions": []string{"620723"}}}}
	}
	status, eb, _ := post("/api/v1/warnings", warning(strings.Repeat("长", alerting.MaxHeadlineLength+1)))
	if status != 400 || !strings.Contains(eb.Error.MessageZH, "标题过长") || len(eb.Error.Details) != 1 || eb.Error.Details[0].Path != "headline" {
		t.Errorf("a headline past the limit: %d %+v", status, eb.Error)
	}
	status, _, body := post("/api/v1/warnings", warning(strings.Repeat("长", alerting.MaxHeadlineLength)))
	if status != 201 {
		t.Fatalf("a headline at the limit: %d %s", status, body)
	}
	var w struct{ ID int64 }
	json.Unmarshal(body, &w)

	status, eb, _ = post("/api/v1/contacts", map[string]any{"kind": "duty_officer", "name": strings.Repeat("名", backstop.MaxNameLength+1), "region": "620723", "phone": "13800138000"})
	if status != 413 || !strings.Contains(eb.Error.MessageZH, "联系人的名称过长") {
		t.Errorf("a contact name past the limit: %d %+v", status, eb.Error)
	}
	if status, _, body := post("/api/v1/contacts", map[string]any{"kind": "duty_officer", "name": strings.Repeat("名", backstop.MaxNameLength), "region": "620723", "phone": "13800138000"}); status != 201 {
		t.Errorf("a contact name at the limit: %d %s", status, body)
	}

	consult := map[string]any{"departments": []string{"气象局"}, "assessment": strings.Repeat("研", backstop.MaxAssessmentLength+1), "decision": "release"}
	status, eb, _ = post(fmt.Sprintf("/api/v1/warnings/%d/consultations", w.ID), consult)
	if status != 400 || !strings.Contains(eb.Error.MessageZH, "研判意见过长") {
		t.Errorf("an assessment past the limit: %d %+v", status, eb.Error)
	}
	consult["assessment"] = "强降雨"
	consult["departments"] = make([]string, backstop.MaxConsultationNames+1)
	status, eb, _ = post(fmt.Sprintf("/api/v1/warnings/%d/consultations", w.ID), consult)
	if status != 400 || !strings.Contains(eb.Error.MessageZH, "参加会商的部门最多") {
		t.Errorf("too many departments: %d %+v", status, eb.Error)
	}
}
