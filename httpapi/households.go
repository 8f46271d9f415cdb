package httpapi

import (
	"net/http"
	"strings"

	"github.com/zhangye-backstop/backstop"
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

// ParseGroups reads group names from repeated or comma-separated values.
func ParseGroups(values []string) (backstop.Group, error) {
	var g backstop.Group
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			one, err := backstop.ParseGroup(name)
			if err != nil {
				return 0, err
			}
			g |= one
		}
	}
	return g, nil
}

// HouseholdFilterFrom reads region, group and q from a request.
func HouseholdFilterFrom(r *http.Request) (backstop.HouseholdFilter, error) {
	q := r.URL.Query()
	g, err := ParseGroups(q["group"])
	if err != nil {
		return backstop.HouseholdFilter{}, err
	}
	f := backstop.HouseholdFilter{Region: q.Get("region"), Groups: g, Query: q.Get("q")}
	if f.Region != "" {
		if f.Region, err = backstop.NormalizeRegionCode(f.Region); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *Server) listHouseholds(w http.ResponseWriter, r *http.Request) error {
	f, err := HouseholdFilterFrom(r)
	if err != nil {
		return err
	}
	if f.Limit, f.Offset, err = page(r, 20); err != nil {
		return err
	}
	items, total, err := s.store.FindHouseholds(r.Context(), f)
	if err != nil {
		return err
	}
	out := list[householdView]{Items: make([]householdView, len(items)), Total: total}
	for i, h := range items {
		out.Items[i] = viewHousehold(h.Mask())
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// RevealHousehold returns the household unmasked after checking the
// permission and writing the audit row; the web UI uses it too.
func RevealHousehold(r *http.Request, store backstop.Store, number string) (*backstop.Household, error) {
	u, err := backstop.RequireUser(r.Context())
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermRevealPII); err != nil {
		return nil, err
	}
	h, err := store.FindHousehold(r.Context(), number)
	if err != nil {
		return nil, err
	}
	if err := store.Audit(r.Context(), "pii.reveal", "household", number, "ID numbers and phones shown"); err != nil {
		return nil, err
	}
	return h, nil
}

func (s *Server) getHousehold(w http.ResponseWriter, r *http.Request) error {
	number := r.PathValue("number")
	if truthy(r, "reveal") {
		h, err := RevealHousehold(r, s.store, number)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, viewHousehold(h))
		return nil
	}
	h, err := s.store.FindHousehold(r.Context(), number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewHousehold(h.Mask()))
	return nil
}

func (s *Server) createHousehold(w http.ResponseWriter, r *http.Request) error {
	var in householdInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	h := &in.Household
	if err := s.store.CreateHousehold(r.Context(), h); err != nil {
		return err
	}
	got, err := s.store.FindHousehold(r.Context(), h.Number)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/households/"+h.Number)
	writeJSON(w, http.StatusCreated, viewHousehold(got.Mask()))
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
		return backstop.Errorf(backstop.EINVALID, "The body's number %s differs from the path's %s.", h.Number, number)
	}
	for _, m := range h.Members {
		if strings.Contains(m.IDNumber, "*") || strings.Contains(m.Phone, "*") {
			return backstop.Errorf(backstop.EINVALID, "Member %s carries a masked ID number or phone: read with reveal=1 before writing back, or leave members out.", m.Number)
		}
	}
	if strings.Contains(h.Phone+h.HelperPhone, "*") {
		return backstop.Errorf(backstop.EINVALID, "The household carries a masked phone: read with reveal=1 before writing back.")
	}
	if err := s.store.UpdateHousehold(r.Context(), h); err != nil {
		return err
	}
	got, err := s.store.FindHousehold(r.Context(), number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewHousehold(got.Mask()))
	return nil
}

func (s *Server) deleteHousehold(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteHousehold(r.Context(), r.PathValue("number")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) householdHistory(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.HouseholdHistory(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	if items == nil {
		items = []*backstop.HistoryEntry{}
	}
	writeJSON(w, http.StatusOK, list[*backstop.HistoryEntry]{Items: items, Total: len(items)})
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
		return backstop.Errorf(backstop.EINVALID, "The body's number %s differs from the path's %s.", m.Number, member)
	}
	if err := s.store.UpsertMember(r.Context(), number, &m); err != nil {
		return err
	}
	got, err := s.store.FindHousehold(r.Context(), number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewHousehold(got.Mask()))
	return nil
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteMember(r.Context(), r.PathValue("number"), r.PathValue("member")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
