package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/insurance"
)

func (h *Handler) insurancePages() {
	h.handle("GET /prepare/insurance", h.productsPage)
	h.handle("POST /prepare/insurance", h.createProduct)
	h.handle("GET /prepare/insurance/policies", h.policiesPage)
	h.handle("POST /prepare/insurance/policies", h.addPolicy)
	h.handle("POST /prepare/insurance/policies/import", h.importPolicies)
	h.handle("GET /prepare/insurance/claims", h.claimsPage)
	h.handle("POST /prepare/insurance/claims", h.fileClaim)
	h.handle("POST /prepare/insurance/claims/settle", h.settleClaim)
	h.handle("GET /prepare/insurance/gaps", h.gapsPage)
}

func (h *Handler) insuranceLinks(r *http.Request) []pair {
	return []pair{{Label: h.tr(r, "insurance.products"), Value: h.tr(r, "action.view"), Href: "/prepare/insurance"},
		{Label: h.tr(r, "insurance.policies"), Value: h.tr(r, "action.view"), Href: "/prepare/insurance/policies"},
		{Label: h.tr(r, "insurance.claims"), Value: h.tr(r, "action.view"), Href: "/prepare/insurance/claims"},
		{Label: h.tr(r, "insurance.gaps"), Value: h.tr(r, "action.view"), Href: "/prepare/insurance/gaps"}}
}

func (h *Handler) productsPage(w http.ResponseWriter, r *http.Request) error {
	items, err := h.cfg.Insurance.Products(r.Context())
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "products", Header: []string{h.tr(r, "product.code"), h.tr(r, "product.name"), h.tr(r, "product.kind"), h.tr(r, "product.insurer"), h.tr(r, "col.region"),
		h.tr(r, "product.cover"), h.tr(r, "product.premium"), h.tr(r, "product.payer"), h.tr(r, "product.perils")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, p := range items {
			payer := h.tr(r, "product.payer."+string(p.Payer))
			if p.Payer == backstop.PaidShared {
				payer += h.tr(r, "product.share", yuan(p.HouseholdShare))
			}
			out = append(out, []cell{{Text: p.Code}, {Text: p.Name}, {Text: h.tr(r, "product.kind."+string(p.Kind))}, {Text: p.Insurer}, {Text: rn.of(p.Region)}, {Text: yuan(p.Cover), Num: true},
				{Text: yuan(p.Premium), Num: true}, {Text: payer}, {Text: h.perilText(r, p.Perils)}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Heading: h.tr(r, "insurance.products"), Table: tb, Pager: pg, Summary: h.insuranceLinks(r)}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageInsurance) {
		kinds := opts("", []string{"house", "agriculture", "anti_poverty", "accident", "other"}, func(c string) string { return h.tr(r, "product.kind."+c) })
		payers := opts("", []string{"government", "household", "shared"}, func(c string) string { return h.tr(r, "product.payer."+c) })
		regions := append(h.levelOptions(r, backstop.LevelCity, ""), h.levelOptions(r, backstop.LevelCounty, "")...)
		v.Forms = append(v.Forms, &form{ID: "product-new", Title: h.tr(r, "product.new"), Action: "/prepare/insurance", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "product.code"), Name: "code", Required: true, Max: 32}, {Label: h.tr(r, "product.name"), Name: "name", Required: true, Max: 100},
			{Label: h.tr(r, "product.kind"), Name: "kind", Type: "select", Options: kinds}, {Label: h.tr(r, "product.insurer"), Name: "insurer", Required: true, Max: 100},
			{Label: h.tr(r, "col.region"), Name: "region", Type: "select", Options: regions},
			{Label: h.tr(r, "product.cover"), Name: "cover", Type: "number", Required: true}, {Label: h.tr(r, "product.premium"), Name: "premium", Type: "number", Required: true},
			{Label: h.tr(r, "product.payer"), Name: "payer", Type: "select", Options: payers}, {Label: h.tr(r, "product.household_share"), Name: "household_share", Type: "number"},
			{Label: h.tr(r, "product.perils"), Name: "perils", Hint: h.tr(r, "product.perils.hint"), Required: true}}})
	}
	return h.prepPage(w, r, "prep-insurance", h.tr(r, "menu.prep.insurance"), v)
}

// perilText names the perils: hazards by their names, others as given.
func (h *Handler) perilText(r *http.Request, perils []string) string {
	out := make([]string, len(perils))
	for i, p := range perils {
		out[i] = p
		if info, ok := backstop.HazardOf(backstop.Hazard(p)); ok {
			out[i] = hazardText(r, info)
		}
	}
	return strings.Join(out, "、")
}

// perilCodes reads perils typed as names or codes.
func perilCodes(s string) []string {
	var out []string
	for _, p := range lines(s) {
		code := p
		for _, hz := range backstop.Hazards {
			if hz.ZH == p {
				code = string(hz.Code)
			}
		}
		out = append(out, code)
	}
	return out
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := insurance.ProductInput{Code: f.Get("code"), Name: f.Get("name"), Kind: f.Get("kind"), Insurer: f.Get("insurer"), Region: f.Get("region"), Cover: atof(f.Get("cover")),
		Premium: atof(f.Get("premium")), Payer: f.Get("payer"), HouseholdShare: atof(f.Get("household_share")), Perils: perilCodes(f.Get("perils"))}
	if _, err := h.cfg.Insurance.CreateProduct(r.Context(), in); err != nil {
		return h.prepFail(w, r, err, h.productsPage)
	}
	return done(w, r, "/prepare/insurance")
}

func (h *Handler) policiesPage(w http.ResponseWriter, r *http.Request) error {
	household := strings.TrimSpace(r.URL.Query().Get("household"))
	if exporting(r) {
		if err := h.cfg.Insurance.AuditExport(r.Context(), "policies", household); err != nil {
			return err
		}
	}
	rn := h.namer(r)
	tb := &table{ID: "policies", Header: []string{h.tr(r, "policy.number"), h.tr(r, "product.name"), h.tr(r, "col.household.number"), h.tr(r, "col.head"), h.tr(r, "col.location"),
		h.tr(r, "policy.period"), h.tr(r, "product.cover"), h.tr(r, "policy.source")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Insurance.Policies(r.Context(), household, "", offset, limit)
		var out [][]cell
		for _, p := range items {
			src := h.tr(r, "policy.source.entered")
			if name, ok := strings.CutPrefix(p.Source, "import:"); ok {
				src = h.tr(r, "policy.source.import", name)
			}
			out = append(out, []cell{{Text: p.Number}, {Text: p.ProductName}, {Text: p.Household, Href: "/households/" + p.Household}, {Text: p.HeadName}, {Text: rn.path(p.Village)},
				{Text: p.From + " — " + p.To}, {Text: yuan(p.Cover), Num: true}, {Text: src}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	v := &prepView{Heading: h.tr(r, "insurance.policies"), Table: tb, Pager: pg, Summary: h.insuranceLinks(r), Filters: &form{Get: true, Action: "/prepare/insurance/policies",
		Fields: []field{{Label: h.tr(r, "col.household.number"), Name: "household", Value: household}}}}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageInsurance) {
		products, _ := h.cfg.Insurance.Products(r.Context())
		var po []option
		for _, p := range products {
			po = append(po, option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + "（" + p.Code + "）"})
		}
		v.Forms = append(v.Forms, &form{ID: "policy-new", Title: h.tr(r, "policy.new"), Action: "/prepare/insurance/policies", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "product.name"), Name: "product", Type: "select", Options: po}, {Label: h.tr(r, "policy.number"), Name: "number", Required: true, Max: backstop.MaxPolicyNumber},
			{Label: h.tr(r, "col.household.number"), Name: "household", Required: true}, {Label: h.tr(r, "policy.from"), Name: "from", Type: "date", Required: true},
			{Label: h.tr(r, "policy.to"), Name: "to", Type: "date", Required: true}, {Label: h.tr(r, "product.cover"), Name: "cover", Type: "number"}}},
			&form{ID: "policy-import", Title: h.tr(r, "policy.import"), Action: "/prepare/insurance/policies/import", Multipart: true, Submit: h.tr(r, "policy.import.submit"), Hint: h.tr(r, "policy.import.hint"),
				Fields: []field{{Label: h.tr(r, "import.file"), Name: "file", Type: "file", Accept: ".csv,.xlsx", Required: true}}})
	}
	return h.prepPage(w, r, "prep-insurance", h.tr(r, "insurance.policies"), v)
}

func (h *Handler) addPolicy(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := insurance.PolicyInput{ProductID: atoi(f.Get("product")), Number: f.Get("number"), Household: f.Get("household"), From: f.Get("from"), To: f.Get("to"), Cover: atof(f.Get("cover"))}
	if _, err := h.cfg.Insurance.AddPolicies(r.Context(), []insurance.PolicyInput{in}); err != nil {
		return h.prepFail(w, r, err, h.policiesPage)
	}
	return done(w, r, "/prepare/insurance/policies")
}

func (h *Handler) importPolicies(w http.ResponseWriter, r *http.Request) error {
	if _, err := backstop.Authorize(r.Context(), backstop.PermManageInsurance); err != nil {
		return err
	}
	path, name, _, err := httpx.SaveUpload(w, r, h.cfg.TempDir, 32<<20)
	if err != nil {
		return h.prepFail(w, r, err, h.policiesPage)
	}
	defer removeQuietly(path)
	if _, err := h.cfg.Insurance.ImportPolicies(r.Context(), path, name); err != nil {
		return h.prepFail(w, r, err, h.policiesPage)
	}
	return done(w, r, "/prepare/insurance/policies")
}

func (h *Handler) claimsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	household, event := strings.TrimSpace(q.Get("household")), strings.TrimSpace(q.Get("event"))
	tb := &table{ID: "claims", Header: []string{h.tr(r, "claim.id"), h.tr(r, "col.household.number"), h.tr(r, "claim.event"), h.tr(r, "claim.filed"), h.tr(r, "claim.claimed"),
		h.tr(r, "claim.state"), h.tr(r, "claim.payout"), h.tr(r, "claim.paid_on"), h.tr(r, "plan.note")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Insurance.Claims(r.Context(), household, event, offset, limit)
		var out [][]cell
		for _, c := range items {
			out = append(out, []cell{{Text: strconv.FormatInt(c.ID, 10)}, {Text: c.Household, Href: "/households/" + c.Household}, {Text: dashText(c.Event)}, {Text: c.FiledOn}, {Text: yuan(c.Claimed), Num: true},
				{Text: h.tr(r, "claim.state."+string(c.State)), Tag: ifText(c.State == backstop.ClaimPaid, "ok", "")}, {Text: yuan(c.Payout), Num: true}, {Text: dashText(c.PaidOn)}, {Text: dashText(c.Note)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	v := &prepView{Heading: h.tr(r, "insurance.claims"), Note: h.tr(r, "claim.note"), Table: tb, Pager: pg, Summary: h.insuranceLinks(r), Filters: &form{Get: true, Action: "/prepare/insurance/claims",
		Fields: []field{{Label: h.tr(r, "col.household.number"), Name: "household", Value: household}, {Label: h.tr(r, "claim.event"), Name: "event", Value: event}}}}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageInsurance) {
		v.Forms = append(v.Forms, &form{ID: "claim-new", Title: h.tr(r, "claim.new"), Action: "/prepare/insurance/claims", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "claim.policy"), Name: "policy", Required: true, Hint: h.tr(r, "claim.policy.hint")}, {Label: h.tr(r, "claim.event"), Name: "event"},
			{Label: h.tr(r, "claim.loss_report"), Name: "loss_report"}, {Label: h.tr(r, "claim.filed"), Name: "filed_on", Type: "date", Required: true},
			{Label: h.tr(r, "claim.claimed"), Name: "claimed", Type: "number", Required: true}, {Label: h.tr(r, "plan.note"), Name: "note"}}},
			&form{ID: "claim-settle", Title: h.tr(r, "claim.settle"), Action: "/prepare/insurance/claims/settle", Submit: h.tr(r, "action.save"), Fields: []field{
				{Label: h.tr(r, "claim.id"), Name: "claim", Required: true},
				{Label: h.tr(r, "claim.state"), Name: "state", Type: "select", Options: []option{{Value: "paid", Label: h.tr(r, "claim.state.paid")}, {Value: "refused", Label: h.tr(r, "claim.state.refused")}}},
				{Label: h.tr(r, "claim.payout"), Name: "payout", Type: "number"}, {Label: h.tr(r, "claim.paid_on"), Name: "paid_on", Type: "date"}, {Label: h.tr(r, "plan.note"), Name: "note"}}})
	}
	return h.prepPage(w, r, "prep-insurance", h.tr(r, "insurance.claims"), v)
}

func (h *Handler) fileClaim(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := insurance.ClaimInput{PolicyID: atoi(f.Get("policy")), Event: f.Get("event"), LossReport: atoi(f.Get("loss_report")), FiledOn: f.Get("filed_on"), Claimed: atof(f.Get("claimed")), Note: f.Get("note")}
	if _, err := h.cfg.Insurance.FileClaim(r.Context(), in); err != nil {
		return h.prepFail(w, r, err, h.claimsPage)
	}
	return done(w, r, "/prepare/insurance/claims")
}

func (h *Handler) settleClaim(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := insurance.Settlement{State: f.Get("state"), Payout: atof(f.Get("payout")), PaidOn: f.Get("paid_on"), Note: f.Get("note")}
	if _, err := h.cfg.Insurance.Settle(r.Context(), atoi(f.Get("claim")), in); err != nil {
		return h.prepFail(w, r, err, h.claimsPage)
	}
	return done(w, r, "/prepare/insurance/claims")
}

func (h *Handler) gapsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	region := q.Get("region")
	warning := atoi(q.Get("warning"))
	if exporting(r) {
		if err := h.cfg.Insurance.AuditExport(r.Context(), "gaps", fmt.Sprintf("region %s, warning %d", region, warning)); err != nil {
			return err
		}
	}
	rn := h.namer(r)
	var cov []*backstop.InsuranceCoverage
	tb := &table{ID: "insurance-gaps", Header: []string{h.tr(r, "col.household.number"), h.tr(r, "col.head"), h.tr(r, "col.location"), h.tr(r, "col.groups")}, Empty: h.tr(r, "insurance.gaps.none")}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, c, err := h.cfg.Insurance.Gaps(r.Context(), region, warning, offset, limit)
		cov = c
		var out [][]cell
		for _, g := range items {
			groups := make([]string, len(g.Groups))
			for i, k := range g.Groups {
				groups[i] = h.tr(r, "group."+k)
			}
			out = append(out, []cell{{Text: g.Household, Href: "/households/" + g.Household}, {Text: g.HeadName}, {Text: rn.path(g.Village)}, {Text: strings.Join(groups, "、")}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	ct := &table{ID: "insurance-coverage", Header: []string{h.tr(r, "col.village"), h.tr(r, "insurance.key_group"), h.tr(r, "insurance.insured"), h.tr(r, "insurance.uninsured")}}
	for _, c := range cov {
		ct.Rows = append(ct.Rows, []cell{{Text: rn.path(c.Village)}, {Text: fmtInt(c.KeyGroup), Num: true}, {Text: fmtInt(c.Insured), Num: true}, {Text: fmtInt(c.Uninsured), Num: true, Tag: ifText(c.Uninsured > 0, "warn", "")}})
	}
	v := &prepView{Heading: h.tr(r, "insurance.gaps"), Note: h.tr(r, "insurance.gaps.note"), Table: tb, Pager: pg, Summary: h.insuranceLinks(r),
		Sections: []section{{Title: h.tr(r, "insurance.coverage"), Table: ct}},
		Filters: &form{Get: true, Action: "/prepare/insurance/gaps", Fields: []field{
			{Label: h.tr(r, "col.county"), Name: "region", Type: "select", Options: withBlank(h.tr(r, "filter.all"), h.levelOptions(r, backstop.LevelCounty, region))},
			{Label: h.tr(r, "insurance.warning"), Name: "warning", Value: q.Get("warning"), Hint: h.tr(r, "insurance.warning.hint")}}}}
	return h.prepPage(w, r, "prep-insurance", h.tr(r, "insurance.gaps"), v)
}
