package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
)

// householdView is a household as the API shows it: group names added.
type householdView struct {
	*backstop.Household
	Groups []string `json:"groups"`
}

func viewHousehold(h *backstop.Household) householdView {
	return householdView{Household: h, Groups: h.Groups.Names()}
}

// householdInput accepts what householdView writes, so a client can send
// back what it read; derived fields are ignored.
type householdInput struct {
	backstop.Household
	Groups []string `json:"groups"`
}

func (s *Server) listHouseholds(w http.ResponseWriter, r *http.Request) error {
	f, err := httpx.HouseholdFilter(r)
	if err != nil {
		return err
	}
	if f.Limit, f.Offset, err = page(r, 20); err != nil {
		return err
	}
	items, total, err := s.cfg.Registry.FindHouseholds(r.Context(), f)
	if err != nil {
		return err
	}
	out := list[householdView]{Items: make([]householdView, len(items)), Total: total}
	for i, h := range items {
		out.Items[i] = viewHousehold(h)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getHousehold(w http.ResponseWriter, r *http.Request) error {
	number := r.PathValue("number")
	find := s.cfg.Registry.FindHousehold
	if httpx.Truthy(r, "reveal") {
		find = s.cfg.Registry.RevealHousehold
	}
	h, err := find(r.Context(), number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewHousehold(h))
	return nil
}

func (s *Server) createHousehold(w http.ResponseWriter, r *http.Request) error {
	var in householdInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	got, err := s.cfg.Registry.CreateHousehold(r.Context(), &in.Household)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/households/"+got.Number)
	writeJSON(w, http.StatusCreated, viewHousehold(got))
	return nil
}

func (s *Server) updateHousehold(w http.ResponseWriter, r *http.Request) error {
	var in householdInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	h := &in.Household
	number := r.PathValue("number")
	if h.Number == "" {
		h.Number = number
	}
	if h.Number != number {
		return backstop.Localized(backstop.EINVALID, "请求体中的户编号%s与路径中的%s不一致", "The body's number %s differs from the path's %s.", h.Number, number)
	}
	got, err := s.cfg.Registry.UpdateHousehold(r.Context(), h)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewHousehold(got))
	return nil
}

func (s *Server) deleteHousehold(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Registry.DeleteHousehold(r.Context(), r.PathValue("number")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) householdHistory(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Registry.History(r.Context(), r.PathValue("number"), limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) upsertMember(w http.ResponseWriter, r *http.Request) error {
	var m backstop.Member
	if err := decodeJSON(w, r, &m); err != nil {
		return err
	}
	number, member := r.PathValue("number"), r.PathValue("member")
	if m.Number == "" {
		m.Number = member
	}
	if m.Number != member {
		return backstop.Localized(backstop.EINVALID, "请求体中的人编号%s与路径中的%s不一致", "The body's number %s differs from the path's %s.", m.Number, member)
	}
	got, err := s.cfg.Registry.UpsertMember(r.Context(), number, &m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewHousehold(got))
	return nil
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Registry.DeleteMember(r.Context(), r.PathValue("number"), r.PathValue("member")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// householdRoutes are the routes of this file.
func (s *Server) householdRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/households", summary: "List households in your scope", tag: "households", params: householdFilterParams, response: "HouseholdList", access: access{perm: backstop.PermReadRegistry, scope: scopeNone}, handle: s.listHouseholds},
		{method: "POST", path: "/api/v1/households", summary: "Create a household with its members", tag: "households", body: "Household", response: "Household", status: http.StatusCreated, access: access{perm: backstop.PermWriteRegistry, scope: scopeWrite}, handle: s.createHousehold},
		{method: "GET", path: "/api/v1/households/{number}", summary: "One household with members; masked unless reveal=1 (needs the reveal permission, audited)", tag: "households",
			params: []param{numberParam, {name: "reveal", in: "query", typ: "boolean", desc: "show ID numbers and phones unmasked"}}, response: "Household", access: access{perm: backstop.PermReadRegistry, scope: scopeRead}, handle: s.getHousehold},
		{method: "PUT", path: "/api/v1/households/{number}", summary: "Replace a household's fields (members given are upserted)", tag: "households", params: []param{numberParam}, body: "Household", response: "Household", access: access{perm: backstop.PermWriteRegistry, scope: scopeWrite}, handle: s.updateHousehold},
		{method: "DELETE", path: "/api/v1/households/{number}", summary: "Remove a household from the registry (its history stays)", tag: "households", params: []param{numberParam}, status: http.StatusNoContent, access: access{perm: backstop.PermWriteRegistry, scope: scopeWrite}, handle: s.deleteHousehold},
		{method: "GET", path: "/api/v1/households/{number}/history", summary: "Recorded changes of a household, newest first, paged", tag: "households", params: append([]param{numberParam}, pageParams...), response: "HistoryList", access: access{perm: backstop.PermReadRegistry, scope: scopeRead}, handle: s.householdHistory},
		{method: "PUT", path: "/api/v1/households/{number}/members/{member}", summary: "Create or update a member", tag: "households",
			params: []param{numberParam, {name: "member", in: "path", typ: "string", required: true, desc: "person number (人编号)"}}, body: "Member", response: "Household", access: access{perm: backstop.PermWriteRegistry, scope: scopeWrite}, handle: s.upsertMember},
		{method: "DELETE", path: "/api/v1/households/{number}/members/{member}", summary: "Remove a member", tag: "households",
			params: []param{numberParam, {name: "member", in: "path", typ: "string", required: true, desc: "person number (人编号)"}}, status: http.StatusNoContent, access: access{perm: backstop.PermWriteRegistry, scope: scopeWrite}, handle: s.deleteMember},
	}
}
