package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assist"
	"github.com/zhangye-backstop/backstop/httpx"
)

func init() {
	for name, v := range map[string]any{
		"HousingSubsidy":  backstop.HousingSubsidy{},
		"OnlyDwellingIn":  assist.OnlyDwellingInput{},
		"DisbursementIn":  assist.DisbursementInput{},
		"ReliefGrant":     backstop.ReliefGrant{},
		"ReliefIn":        assist.ReliefInput{},
		"ReliefList":      list[backstop.ReliefGrant]{},
		"WaterRecord":     backstop.WaterRecord{},
		"WaterRecordList": list[backstop.WaterRecord]{},
		"WaterTestIn":     assist.WaterTestInput{},
		"WaterRecheckIn":  assist.RecheckInput{},
		"WaterRepair":     backstop.WaterRepair{},
		"WaterRepairIn":   assist.RepairInput{},
		"WaterRepairDone": assist.FinishInput{},
		"WaterRepairList": list[backstop.WaterRepair]{},
		"SupplyPoint":     backstop.SupplyPoint{},
		"SupplyPointIn":   assist.SupplyPointInput{},
		"SupplyPointList": list[backstop.SupplyPoint]{},
		"MeasurePlan":     backstop.MeasurePlan{},
		"AdoptIn":         assist.AdoptInput{},
		"MeasureList":     list[backstop.Measure]{},
		"Measure":         backstop.Measure{},
		"ReferralAnswer":  assist.ReferralAnswer{},
		"CaseProblemList": problemList{},
		"DryRun":          assist.DryRun{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) housingSubsidy(w http.ResponseWriter, r *http.Request) error {
	out, err := s.cfg.Assist.HousingSubsidy(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) confirmOnlyDwelling(w http.ResponseWriter, r *http.Request) error {
	var in assist.OnlyDwellingInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.ConfirmOnlyDwelling(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) disburseSubsidy(w http.ResponseWriter, r *http.Request) error {
	var in assist.DisbursementInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.Disburse(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) grantRelief(w http.ResponseWriter, r *http.Request) error {
	var in assist.ReliefInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.GrantRelief(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) householdRelief(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Assist.Relief(r.Context(), r.PathValue("number"), "", offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) listRelief(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Assist.Relief(r.Context(), "", r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) recordWaterTest(w http.ResponseWriter, r *http.Request) error {
	var in assist.WaterTestInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.RecordWaterTest(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) recheckWater(w http.ResponseWriter, r *http.Request) error {
	var in assist.RecheckInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.RecheckWater(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) waterRecords(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Assist.WaterRecords(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) openWaterRepair(w http.ResponseWriter, r *http.Request) error {
	var in assist.RepairInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.OpenRepair(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) finishWaterRepair(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Water repair")
	if err != nil {
		return err
	}
	var in assist.FinishInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.FinishRepair(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listWaterRepairs(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := s.cfg.Assist.Repairs(r.Context(), q.Get("household"), q.Get("region"), q.Get("open") == "1" || q.Get("open") == "true", offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) addSupplyPoint(w http.ResponseWriter, r *http.Request) error {
	var in assist.SupplyPointInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.cfg.Assist.AddSupplyPoint(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) listSupplyPoints(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Assist.SupplyPoints(r.Context(), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) measurePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	out, err := s.cfg.Assist.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) adoptMeasures(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	var in assist.AdoptInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ms, err := s.cfg.Assist.Adopt(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newList(ms, len(ms)))
	return nil
}

func (s *Server) answerReferral(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Measure")
	if err != nil {
		return err
	}
	var in assist.ReferralAnswer
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.cfg.Assist.AnswerReferral(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) measureQueue(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := s.cfg.Assist.Queue(r.Context(), q.Get("department"), q.Get("status"), q.Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

// problemList is a page of the national checks' problems.
type problemList struct {
	Items     []assist.CaseProblem `json:"items"`
	Total     int                  `json:"total"`
	Checked   int                  `json:"checked_cases"`
	Truncated bool                 `json:"truncated"`
}

func (s *Server) caseProblems(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	items, err := s.cfg.Assist.CaseProblems(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, problemList{Items: items, Total: len(items), Checked: 1})
	return nil
}

func (s *Server) allCaseProblems(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, checked, truncated, err := s.cfg.Assist.Problems(r.Context(), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, problemList{Items: items, Total: total, Checked: checked, Truncated: truncated})
	return nil
}

func (s *Server) dryRunPolicy(w http.ResponseWriter, r *http.Request) error {
	var in policyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p := backstop.Policy{Key: in.Key, Region: in.Region, Value: in.Value, Data: in.Data, Unit: in.Unit, Source: in.Source}
	var err error
	if p.EffectiveFrom, err = parseDay("effective_from", in.EffectiveFrom); err != nil {
		return err
	}
	out, err := s.cfg.Assist.DryRunPolicy(r.Context(), &p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) assistRoutes() []*route {
	read := access{perm: backstop.PermReadCases, scope: scopeRead}
	write := access{perm: backstop.PermManageCases, scope: scopeRead}
	regionParam := param{name: "region", in: "query", typ: "string", desc: "region code (your region when absent)"}
	repairParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "water repair id"}
	caseParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "case id"}
	return []*route{
		{method: "GET", path: "/api/v1/households/{number}/housing-subsidy", summary: "The housing reconstruction subsidy from the latest loss report and the county's table: amount (whole yuan, rounded half up), policy_ids, verified, only-dwelling, disbursed", tag: "assist",
			params: []param{numberParam}, response: "HousingSubsidy", handle: s.housingSubsidy, access: read},
		{method: "POST", path: "/api/v1/households/{number}/housing-subsidy/only-dwelling", summary: "Record whether the damaged house is the household's only dwelling (唯一住房)", tag: "assist",
			params: []param{numberParam}, body: "OnlyDwellingIn", response: "HousingSubsidy", status: http.StatusCreated, handle: s.confirmOnlyDwelling, access: write},
		{method: "POST", path: "/api/v1/households/{number}/housing-subsidy/disbursements", summary: "Record a disbursement (amount, date, who paid): verified report, only dwelling, total within the amount", tag: "assist",
			params: []param{numberParam}, body: "DisbursementIn", response: "HousingSubsidy", status: http.StatusCreated, handle: s.disburseSubsidy, access: access{perm: backstop.PermApproveCases, scope: scopeRead}},
		{method: "POST", path: "/api/v1/households/{number}/relief", summary: "Record relief granted (临时救助 or basic-living relief): transfer income in the next assessment", tag: "assist",
			params: []param{numberParam}, body: "ReliefIn", response: "ReliefGrant", status: http.StatusCreated, handle: s.grantRelief, access: write},
		{method: "GET", path: "/api/v1/households/{number}/relief", summary: "A household's relief grants", tag: "assist",
			params: append([]param{numberParam}, pageParams...), response: "ReliefList", handle: s.householdRelief, access: read},
		{method: "GET", path: "/api/v1/relief", summary: "Relief grants of your region, newest first", tag: "assist",
			params: append([]param{regionParam}, pageParams...), response: "ReliefList", handle: s.listRelief, access: access{perm: backstop.PermReadCases}},
		{method: "POST", path: "/api/v1/households/{number}/water/tests", summary: "Record a water-quality test (date, lab, pass)", tag: "assist",
			params: []param{numberParam}, body: "WaterTestIn", response: "WaterRecord", status: http.StatusCreated, handle: s.recordWaterTest, access: write},
		{method: "POST", path: "/api/v1/households/{number}/water/rechecks", summary: "Re-check the four drinking-water indicators against the water standard in force", tag: "assist",
			params: []param{numberParam}, body: "WaterRecheckIn", response: "WaterRecord", status: http.StatusCreated, handle: s.recheckWater, access: write},
		{method: "GET", path: "/api/v1/households/{number}/water", summary: "A household's water tests and re-checks", tag: "assist",
			params: []param{numberParam}, response: "WaterRecordList", handle: s.waterRecords, access: read},
		{method: "POST", path: "/api/v1/households/{number}/water/repairs", summary: "Open a water repair task for a helper or department, due in the policy's working days", tag: "assist",
			params: []param{numberParam}, body: "WaterRepairIn", response: "WaterRepair", status: http.StatusCreated, handle: s.openWaterRepair, access: write},
		{method: "POST", path: "/api/v1/water/repairs/{id}/done", summary: "Mark a water repair done (compare-and-set on version: a concurrent change gets 409)", tag: "assist",
			params: []param{repairParam}, body: "WaterRepairDone", response: "WaterRepair", handle: s.finishWaterRepair, access: write},
		{method: "GET", path: "/api/v1/water/repairs", summary: "Water repairs of your region (open=1 for open ones), overdue computed on the due date", tag: "assist",
			params:   append([]param{regionParam, {name: "household", in: "query", typ: "string", desc: "户编号"}, {name: "open", in: "query", typ: "boolean", desc: "open only"}}, pageParams...),
			response: "WaterRepairList", handle: s.listWaterRepairs, access: access{perm: backstop.PermReadCases}},
		{method: "POST", path: "/api/v1/water/supply-points", summary: "Add an emergency water supply point of a village (position, households served)", tag: "assist",
			body: "SupplyPointIn", response: "SupplyPoint", status: http.StatusCreated, handle: s.addSupplyPoint, access: access{perm: backstop.PermManageCases, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/water/supply-points", summary: "Emergency water supply points of your region", tag: "assist",
			params: append([]param{regionParam}, pageParams...), response: "SupplyPointList", handle: s.listSupplyPoints, access: access{perm: backstop.PermReadCases}},
		{method: "GET", path: "/api/v1/cases/{id}/plan", summary: "The case's proposed measures (一户一策) from its risk types and the household's labour, development-type first for a labour-capable household", tag: "assist",
			params: []param{caseParam}, response: "MeasurePlan", handle: s.measurePlan, access: read},
		{method: "POST", path: "/api/v1/cases/{id}/plan", summary: "Record the chosen measures (by proposal rule or catalog category and item), each with owner department and named person; a 低保/特困 referral starts the clock of civil affairs' answer", tag: "assist",
			params: []param{caseParam}, body: "AdoptIn", response: "MeasureList", status: http.StatusCreated, handle: s.adoptMeasures, access: write},
		{method: "POST", path: "/api/v1/measures/{id}/referral-answer", summary: "Civil affairs' answer to a 低保/特困 referral (approved or refused); stops its clock", tag: "assist",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "measure id"}}, body: "ReferralAnswer", response: "Measure", handle: s.answerReferral, access: write},
		{method: "GET", path: "/api/v1/measures/queue", summary: "A department's measure queue (a department user gets its own organisation's)", tag: "assist",
			params:   append([]param{{name: "department", in: "query", typ: "string", desc: "department code"}, {name: "status", in: "query", typ: "string", desc: "planned, in_progress, done, refused"}, regionParam}, pageParams...),
			response: "MeasureList", handle: s.measureQueue, access: access{perm: backstop.PermMeasureQueue}},
		{method: "GET", path: "/api/v1/cases/{id}/problems", summary: "The national system's data checks on one case: problems to fix", tag: "assist",
			params: []param{caseParam}, response: "CaseProblemList", handle: s.caseProblems, access: read},
		{method: "GET", path: "/api/v1/cases/problems", summary: "The national data checks across the cases of your region (or region=)", tag: "assist",
			params: append([]param{regionParam}, pageParams...), response: "CaseProblemList", handle: s.allCaseProblems, access: access{perm: backstop.PermReadCases}},
		{method: "POST", path: "/api/v1/policies/dry-run", summary: "Re-evaluation: what a candidate policy version (monitoring_line, housing_subsidy) would change in open cases, clearing eligibility and subsidies; nothing is written", tag: "assist",
			body: "NewPolicy", response: "DryRun", handle: s.dryRunPolicy, access: access{perm: backstop.PermReadCases}},
	}
}
