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

func (s *Server) assistRoutes() []*route {
	read := access{perm: backstop.PermReadCases, scope: scopeRead}
	write := access{perm: backstop.PermManageCases, scope: scopeRead}
	regionParam := param{name: "region", in: "query", typ: "string", desc: "region code (your region when absent)"}
	repairParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "water repair id"}
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
	}
}
