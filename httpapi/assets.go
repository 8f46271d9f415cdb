package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assets"
	"github.com/zhangye-backstop/backstop/httpx"
)

func init() {
	for name, v := range map[string]any{
		"Asset":           backstop.Asset{},
		"AssetIn":         assets.Input{},
		"AssetList":       list[backstop.Asset]{},
		"AssetDamage":     backstop.AssetDamage{},
		"AssetDamageIn":   assets.DamageInput{},
		"AssetDamageList": list[backstop.AssetDamage]{},
		"AssetProposal":   assets.Proposal{},
		"AssetApproval":   assets.Approval{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.AssetFilter{Region: q.Get("region"), Class: backstop.AssetClass(q.Get("class")), State: backstop.AssetState(q.Get("state"))}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Assets.Assets(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) createAsset(w http.ResponseWriter, r *http.Request) error {
	var in assets.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.cfg.Assets.Register(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Asset")
	if err != nil {
		return err
	}
	a, err := s.cfg.Assets.Asset(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// damageChange decodes a body and applies it to the damage (or asset) in
// the path.
func damageChange[T any](what string, status int, apply func(r *http.Request, id int64, in T) (*backstop.AssetDamage, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, what)
		if err != nil {
			return err
		}
		var in T
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		d, err := apply(r, id, in)
		if err != nil {
			return err
		}
		writeJSON(w, status, d)
		return nil
	}
}

func (s *Server) listDamages(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Assets.EventDamages(r.Context(), r.URL.Query().Get("event"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

// assetRoutes are the routes of this file.
func (s *Server) assetRoutes() []*route {
	assetParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "asset id"}
	damageParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "damage id"}
	manage := access{perm: backstop.PermManageAssets, scope: scopeWrite}
	return []*route{
		{method: "GET", path: "/api/v1/assets", summary: "The register of poverty-alleviation project assets (扶贫项目资产) in your region", tag: "assets",
			params: append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}, {name: "class", in: "query", typ: "string", desc: "operating, public_welfare or household", values: codes(backstop.AssetClasses)},
				{name: "state", in: "query", typ: "string", desc: "in_use, damaged, restored, repurposed, disposed", values: []string{"in_use", "damaged", "restored", "repurposed", "disposed"}}}, pageParams...),
			response: "AssetList", handle: s.listAssets, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/assets", summary: "Register an asset: class, owner, village, location, value, source project", tag: "assets", body: "AssetIn", response: "Asset",
			status: http.StatusCreated, handle: s.createAsset, access: manage},
		{method: "GET", path: "/api/v1/assets/{id}", summary: "An asset with its damages and decisions", tag: "assets", params: []param{assetParam}, response: "Asset",
			handle: s.getAsset, access: access{perm: backstop.PermReadPrepared, scope: scopeRead}},
		{method: "POST", path: "/api/v1/assets/{id}/damages", summary: "Record an asset's damage by an event", tag: "assets", params: []param{assetParam}, body: "AssetDamageIn",
			response: "AssetDamage", status: http.StatusCreated, access: manage,
			handle: damageChange("Asset", http.StatusCreated, func(r *http.Request, id int64, in assets.DamageInput) (*backstop.AssetDamage, error) {
				return s.cfg.Assets.RecordDamage(r.Context(), id, in)
			})},
		{method: "GET", path: "/api/v1/asset-damages", summary: "Damaged assets of an event in your region and what was decided", tag: "assets",
			params: []param{{name: "event", in: "query", typ: "string", desc: "the event as the damages name it"}}, response: "AssetDamageList", handle: s.listDamages, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/asset-damages/{id}/proposal", summary: "Propose restore, repurpose (盘活) or dispose, from the state you saw", tag: "assets", params: []param{damageParam},
			body: "AssetProposal", response: "AssetDamage", access: manage,
			handle: damageChange("Damage", http.StatusOK, func(r *http.Request, id int64, in assets.Proposal) (*backstop.AssetDamage, error) {
				return s.cfg.Assets.Propose(r.Context(), id, in)
			})},
		{method: "POST", path: "/api/v1/asset-damages/{id}/decision", summary: "Approve (with the record of what was done) or reject a proposal; not by its proposer", tag: "assets", params: []param{damageParam},
			body: "AssetApproval", response: "AssetDamage", access: access{perm: backstop.PermApproveAssets, scope: scopeWrite},
			handle: damageChange("Damage", http.StatusOK, func(r *http.Request, id int64, in assets.Approval) (*backstop.AssetDamage, error) {
				return s.cfg.Assets.Decide(r.Context(), id, in)
			})},
	}
}
