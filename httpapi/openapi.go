package httpapi

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/workday"
)

// schemaTypes are the Go types behind the document's schema names; the
// schemas are derived from them by reflection so they follow the code.
var schemaTypes = map[string]any{
	"Household":        householdView{},
	"HouseholdList":    list[householdView]{},
	"Member":           backstop.Member{},
	"HistoryList":      list[backstop.HistoryEntry]{},
	"Region":           regionView{},
	"RegionList":       list[regionView]{},
	"User":             backstop.User{},
	"UserList":         list[backstop.User]{},
	"NewUser":          newUser{},
	"NewToken":         newToken{},
	"UserUpdate":       userUpdate{},
	"PasswordChange":   passwordChange{},
	"TokenList":        list[backstop.Token]{},
	"TokenSecret":      tokenSecret{},
	"ImportResult":     backstop.ImportResult{},
	"ImportList":       list[backstop.ImportResult]{},
	"AuditList":        list[backstop.AuditEntry]{},
	"Policy":           backstop.Policy{},
	"NewPolicy":        policyInput{},
	"PolicyList":       list[backstop.Policy]{},
	"Error":            httpx.ErrorBody{},
	"WarningInput":     alerting.Input{},
	"Warning":          warningView{},
	"WarningList":      list[warningView]{},
	"Exposure":         exposureView{},
	"Consultation":     backstop.Consultation{},
	"ConsultationList": list[backstop.Consultation]{},
	"Feed":             backstop.Feed{},
	"FeedList":         list[backstop.Feed]{},
	"ReleaseRequest":   dispatch.Request{},
	"ReleasePreview":   dispatch.Preview{},
	"Release":          releaseView{},
	"ReleaseList":      list[backstop.Release]{},
	"TaskList":         list[backstop.FieldTask]{},
	"Task":             backstop.FieldTask{},
	"Confirmation":     confirmation{},
	"Receipt":          receipt{},
	"ReceiptAnswer":    map[string]any{},
	"Template":         backstop.MessageTemplate{},
	"TemplateList":     list[backstop.MessageTemplate]{},
	"TemplatePreview":  dispatch.TemplatePreview{},
	"TemplateText":     templatePreviewInput{},
	"Contact":          backstop.Contact{},
	"ContactList":      list[backstop.Contact]{},
	"ChannelList":      list[dispatch.ChannelView]{},
	"TestMessage":      testMessage{},
	"TestResult":       dispatch.TestResult{},
	"Workdays":         workdaysAnswer{},
	"Calendar":         calendarView{},
	"CalendarImport":   workday.ImportResult{},
	"ClockList":        list[clockView]{},
	"QuarantineList":   list[backstop.QuarantinedAlert]{},
	"Quarantined":      backstop.QuarantinedAlert{},
	"Area":             alerting.InputArea{},
	"Dismissal":        dismissal{},
	"EventInput":       screening.EventInput{},
	"Event":            backstop.DisasterEvent{},
	"EventList":        list[backstop.DisasterEvent]{},
	"EventDetail":      eventView{},
	"EventState":       eventStateInput{},
	"EventFigures":     backstop.EventFigures{},
	"EventReportInput": eventReportInput{},
	"EventReport":      backstop.EventReport{},
	"Statistics":       backstop.DisasterStatistics{},
	"CampaignInput":    screening.CampaignInput{},
	"Campaign":         campaignView{},
	"CampaignList":     list[backstop.Campaign]{},
	"VisitOutcome":     visitOutcome{},
	"LossInput":        screening.LossInput{},
	"LossAnswer":       screening.LossAnswer{},
	"LossReport":       backstop.LossReport{},
	"LossReportList":   list[backstop.LossReport]{},
	"Photo":            backstop.Photo{},
	"Assessment":       backstop.Assessment{},
	"AssessmentChange": backstop.AssessmentChange{},
	"AssessmentList":   list[backstop.Assessment]{},
	"AtRiskList":       list[backstop.AtRiskEntry]{},
	"SelfReport":       screening.SelfReport{},
	"PublicIntake":     screening.PublicIntake{},
	"Referral":         screening.Referral{},
	"ReferralAnswer":   referralAnswer{},
	"IntakeList":       list[backstop.IntakeItem]{},
	"IntakeItem":       backstop.IntakeItem{},
	"IntakeStep":       intakeStep{},
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf writes a JSON schema for a Go type as encoding/json renders it.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		collectProps(t, props)
		return map[string]any{"type": "object", "properties": props}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

func collectProps(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectProps(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		if f.Type == reflect.TypeOf(backstop.RegionLevel(0)) {
			props[name] = map[string]any{"type": "string"}
			continue
		}
		props[name] = schemaOf(f.Type)
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3 document from the route table.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		op := map[string]any{
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
			"operationId": operationID(rt),
		}
		var params []any
		for _, p := range rt.params {
			schema := map[string]any{"type": p.typ}
			if p.format != "" {
				schema["format"] = p.format
			}
			if p.values != nil && !p.list {
				schema["enum"] = p.values
			}
			params = append(params, map[string]any{"name": p.name, "in": p.in, "required": p.required || p.in == "path",
				"description": p.desc, "schema": schema})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		switch rt.body {
		case "":
		case "file":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"multipart/form-data":      map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}}}},
				"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
			}}
		case "WarningInput":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/cap+xml": map[string]any{"schema": map[string]any{"type": "string", "description": "a CAP 1.2 or 1.1 alert"}},
				"application/xml":     map[string]any{"schema": map[string]any{"type": "string", "description": "a CAP 1.2 or 1.1 alert"}},
				"application/json":    map[string]any{"schema": ref(rt.body)},
			}}
		default:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(rt.body)}}}
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch rt.response {
		case "":
		case "file":
			ok["content"] = map[string]any{
				"text/csv": map[string]any{"schema": map[string]any{"type": "string"}},
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
			}
		case "object":
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		default:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(rt.response)}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(status): ok,
			"default":            map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}},
		}
		if !rt.public {
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
		}
		item[strings.ToLower(rt.method)] = op
	}
	schemas := map[string]any{}
	for name, v := range schemaTypes {
		schemas[name] = schemaOf(reflect.TypeOf(v))
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "backstop API",
			"version":     "1",
			"description": "因灾返贫防范平台 — registry, warnings and assistance for rural households at risk of falling back into poverty after disasters. Personal data is masked unless revealed (audited).",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "token from `backstop token create` or POST /api/v1/users/{name}/tokens"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": httpx.SessionCookie},
			},
		},
	}
}

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func operationID(rt *route) string {
	p := pathParam.ReplaceAllString(strings.TrimPrefix(rt.path, "/api/v1/"), "by_$1")
	return strings.ToLower(rt.method) + "_" + strings.NewReplacer("/", "_", ".", "_").Replace(p)
}

// Routes lists "METHOD path" of every API operation, for tests.
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}
