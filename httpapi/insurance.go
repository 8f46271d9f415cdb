package httpapi

import (
	"net/http"
	"os"
	"strconv"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/insurance"
)

func init() {
	for name, v := range map[string]any{
		"InsuranceProduct":     backstop.InsuranceProduct{},
		"InsuranceProductIn":   insurance.ProductInput{},
		"InsuranceProductList": list[backstop.InsuranceProduct]{},
		"InsurancePolicyList":  list[backstop.InsurancePolicy]{},
		"InsurancePoliciesIn":  policiesInput{},
		"InsuranceImport":      importAnswer{},
		"InsuranceClaim":       backstop.InsuranceClaim{},
		"InsuranceClaimIn":     insurance.ClaimInput{},
		"InsuranceClaimList":   list[backstop.InsuranceClaim]{},
		"Settlement":           insurance.Settlement{},
		"InsuranceGaps":        gapsAnswer{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Insurance.Products(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) error {
	var in insurance.ProductInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Insurance.CreateProduct(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) listInsurancePolicies(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Insurance.Policies(r.Context(), r.URL.Query().Get("household"), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

type policiesInput struct {
	Policies []insurance.PolicyInput `json:"policies"`
}

func (s *Server) addInsurancePolicies(w http.ResponseWriter, r *http.Request) error {
	var in policiesInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ps, err := s.cfg.Insurance.AddPolicies(r.Context(), in.Policies)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newList(ps, len(ps)))
	return nil
}

type importAnswer struct {
	Imported int `json:"imported"`
}

func (s *Server) importInsurancePolicies(w http.ResponseWriter, r *http.Request) error {
	if _, err := backstop.Authorize(r.Context(), backstop.PermManageInsurance); err != nil {
		return err // before reading the upload
	}
	path, name, _, err := httpx.SaveUpload(w, r, s.cfg.TempDir, 32<<20)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	n, err := s.cfg.Insurance.ImportPolicies(r.Context(), path, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, importAnswer{Imported: n})
	return nil
}

func (s *Server) listClaims(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Insurance.Claims(r.Context(), r.URL.Query().Get("household"), r.URL.Query().Get("event"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) fileClaim(w http.ResponseWriter, r *http.Request) error {
	var in insurance.ClaimInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.cfg.Insurance.FileClaim(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) settleClaim(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Claim")
	if err != nil {
		return err
	}
	var in insurance.Settlement
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.cfg.Insurance.Settle(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// gapsAnswer is the uninsured key-group households and the coverage per
// village.
type gapsAnswer struct {
	Items    []*backstop.InsuranceGap      `json:"items"`
	Total    int                           `json:"total"`
	Villages []*backstop.InsuranceCoverage `json:"villages"`
}

func (s *Server) insuranceGaps(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	var warning int64
	if v := r.URL.Query().Get("warning"); v != "" {
		if warning, err = strconv.ParseInt(v, 10, 64); err != nil || warning <= 0 {
			return backstop.Localized(backstop.EINVALID, "warning 须为预警编号，不能是“%s”", "warning must be a warning id, not %q.", v)
		}
	}
	items, total, villages, err := s.cfg.Insurance.Gaps(r.Context(), r.URL.Query().Get("region"), warning, offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gapsAnswer{Items: items, Total: total, Villages: villages})
	return nil
}

// insuranceRoutes are the routes of this file.
func (s *Server) insuranceRoutes() []*route {
	manage := access{perm: backstop.PermManageInsurance, scope: scopeWrite}
	return []*route{
		{method: "GET", path: "/api/v1/insurance/products", summary: "Insurance products on offer (农房保险, 农业保险, 防贫保险 …)", tag: "insurance", response: "InsuranceProductList",
			handle: s.listProducts, access: access{perm: backstop.PermReadPrepared, scope: scopeShared}},
		{method: "POST", path: "/api/v1/insurance/products", summary: "Add a product: insurer, cover, premium and who pays it, perils", tag: "insurance", body: "InsuranceProductIn",
			response: "InsuranceProduct", status: http.StatusCreated, handle: s.createProduct, access: manage},
		{method: "GET", path: "/api/v1/insurance/policies", summary: "Policies households of your region hold", tag: "insurance",
			params:   append([]param{{name: "household", in: "query", typ: "string", desc: "户编号"}, {name: "region", in: "query", typ: "string", format: "region", desc: "region code"}}, pageParams...),
			response: "InsurancePolicyList", handle: s.listInsurancePolicies, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/insurance/policies", summary: "Enter policies by hand (all or none)", tag: "insurance", body: "InsurancePoliciesIn", response: "InsurancePolicyList",
			status: http.StatusCreated, handle: s.addInsurancePolicies, access: manage},
		{method: "POST", path: "/api/v1/insurance/policies/import", summary: "Import policies from the insurer's sheet (csv or xlsx: 保单号, 产品代码, 户编号, 起保日期, 终保日期, 保额); every problem with its row and column, nothing stored unless all rows are right", tag: "insurance",
			params: []param{{name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file"}}, body: "file", response: "InsuranceImport", status: http.StatusCreated,
			handle: s.importInsurancePolicies, access: manage},
		{method: "GET", path: "/api/v1/insurance/claims", summary: "Claims of your region with their payouts (理赔收入 in assessments)", tag: "insurance",
			params:   append([]param{{name: "household", in: "query", typ: "string", desc: "户编号"}, {name: "event", in: "query", typ: "string", desc: "the event named on claims"}}, pageParams...),
			response: "InsuranceClaimList", handle: s.listClaims, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/insurance/claims", summary: "File a claim on a policy after an event (linked to the loss report)", tag: "insurance", body: "InsuranceClaimIn", response: "InsuranceClaim",
			status: http.StatusCreated, handle: s.fileClaim, access: manage},
		{method: "POST", path: "/api/v1/insurance/claims/{id}/settle", summary: "Record a filed claim's outcome: paid (payout, date) or refused (reason)", tag: "insurance",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "claim id"}}, body: "Settlement", response: "InsuranceClaim", handle: s.settleClaim, access: manage},
		{method: "GET", path: "/api/v1/insurance/gaps", summary: "Key-group households without house insurance in force (of a warning's exposure, when given), and coverage per village", tag: "insurance",
			params:   append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code (your region when absent)"}, {name: "warning", in: "query", typ: "integer", desc: "warning id: its exposed households only"}}, pageParams...),
			response: "InsuranceGaps", handle: s.insuranceGaps, access: access{perm: backstop.PermReadPrepared, scope: scopeRead}},
	}
}
