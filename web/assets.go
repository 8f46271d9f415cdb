package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assets"
)

func (h *Handler) assetPages() {
	h.handle("GET /prepare/assets", h.assetsPage)
	h.handle("POST /prepare/assets", h.registerAsset)
	h.handle("GET /prepare/assets/{id}", h.assetPage)
	h.handle("POST /prepare/assets/{id}/damages", h.recordDamage)
	h.handle("POST /prepare/asset-damages/{id}/proposal", h.proposeDamage)
	h.handle("POST /prepare/asset-damages/{id}/decision", h.decideDamage)
	h.handle("GET /prepare/asset-damages", h.damagesPage)
}

func (h *Handler) assetsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.AssetFilter{Class: backstop.AssetClass(q.Get("class")), State: backstop.AssetState(q.Get("state"))}
	rn := h.namer(r)
	tb := &table{ID: "assets", Header: []string{h.tr(r, "asset.name"), h.tr(r, "asset.class"), h.tr(r, "asset.owner"), h.tr(r, "asset.village"), h.tr(r, "asset.value"), h.tr(r, "asset.state"), h.tr(r, "col.actions")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		f.Limit, f.Offset = limit, offset
		items, total, err := h.cfg.Assets.Assets(r.Context(), f)
		var out [][]cell
		for _, a := range items {
			out = append(out, []cell{{Text: a.Name}, {Text: h.tr(r, "asset.class."+string(a.Class))}, {Text: a.Owner}, {Text: rn.path(a.Village)}, {Text: yuan(a.Value), Num: true},
				{Text: h.tr(r, "asset.state."+string(a.State)), Tag: ifText(a.State == backstop.AssetDamaged, "warn", "")}, {Text: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/assets/%d", a.ID)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	classes := []string{"operating", "public_welfare", "household"}
	states := []string{"in_use", "damaged", "restored", "repurposed", "disposed"}
	v := &prepView{Table: tb, Pager: pg, Summary: []pair{{Label: h.tr(r, "menu.prep.damages"), Value: h.tr(r, "action.view"), Href: "/prepare/asset-damages"}},
		Filters: &form{Get: true, Action: "/prepare/assets", Fields: []field{
			{Label: h.tr(r, "asset.class"), Name: "class", Type: "select", Options: withBlank(h.tr(r, "filter.all"), opts(string(f.Class), classes, func(c string) string { return h.tr(r, "asset.class."+c) }))},
			{Label: h.tr(r, "asset.state"), Name: "state", Type: "select", Options: withBlank(h.tr(r, "filter.all"), opts(string(f.State), states, func(c string) string { return h.tr(r, "asset.state."+c) }))}}}}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageAssets) {
		v.Forms = append(v.Forms, &form{ID: "asset-new", Title: h.tr(r, "asset.new"), Action: "/prepare/assets", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "asset.name"), Name: "name", Required: true, Max: backstop.MaxAssetName},
			{Label: h.tr(r, "asset.class"), Name: "class", Type: "select", Options: opts("", classes, func(c string) string { return h.tr(r, "asset.class."+c) })},
			{Label: h.tr(r, "asset.owner"), Name: "owner", Required: true, Max: backstop.MaxAssetName},
			{Label: h.tr(r, "asset.village"), Name: "village", Type: "select", Required: true, Options: h.levelOptions(r, backstop.LevelVillage, "")},
			{Label: h.tr(r, "asset.location"), Name: "location", Max: backstop.MaxAssetText},
			{Label: h.tr(r, "asset.value"), Name: "value", Type: "number", Required: true},
			{Label: h.tr(r, "asset.project"), Name: "project", Type: "number", Hint: h.tr(r, "asset.project.hint")}}})
	}
	return h.prepPage(w, r, "prep-assets", h.tr(r, "menu.prep.assets"), v)
}

func (h *Handler) registerAsset(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	a, err := h.cfg.Assets.Register(r.Context(), assets.Input{Name: f.Get("name"), Class: f.Get("class"), Owner: f.Get("owner"), Village: f.Get("village"), Location: f.Get("location"),
		Value: atof(f.Get("value")), ProjectID: atoi(f.Get("project"))})
	if err != nil {
		return h.prepFail(w, r, err, h.assetsPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/assets/%d", a.ID))
}

func (h *Handler) decisionText(r *http.Request, d *backstop.AssetDamage) string {
	if d.Decision == "" {
		return h.tr(r, "damage.undecided")
	}
	return h.tr(r, "damage.decision."+string(d.Decision)) + " · " + h.tr(r, "damage.state."+string(d.State))
}

func (h *Handler) assetPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.cfg.Assets.Asset(r.Context(), id)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	cat := h.cats[langOf(r)]
	info := section{Pairs: []pair{{Label: h.tr(r, "asset.class"), Value: h.tr(r, "asset.class."+string(a.Class))}, {Label: h.tr(r, "asset.owner"), Value: a.Owner},
		{Label: h.tr(r, "asset.village"), Value: rn.path(a.Village)}, {Label: h.tr(r, "asset.location"), Value: dashText(a.Location)}, {Label: h.tr(r, "asset.value"), Value: yuan(a.Value)},
		{Label: h.tr(r, "asset.state"), Value: h.tr(r, "asset.state."+string(a.State))}}}
	if a.ProjectID != 0 {
		info.Pairs = append(info.Pairs, pair{Label: h.tr(r, "asset.project"), Value: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/projects/%d", a.ProjectID)})
	}
	v := &prepView{Heading: a.Name, Sections: []section{info}}
	u := backstop.UserFromContext(r.Context())
	for _, d := range a.Damages {
		sec := section{Title: h.tr(r, "damage.title", d.Event, d.Date), Pairs: []pair{{Label: h.tr(r, "damage.loss"), Value: yuan(d.Loss)}, {Label: h.tr(r, "damage.description"), Value: d.Description},
			{Label: h.tr(r, "damage.decision"), Value: h.decisionText(r, d)}}}
		if d.DecisionNote != "" {
			sec.Pairs = append(sec.Pairs, pair{Label: h.tr(r, "damage.reason"), Value: d.DecisionNote + " · " + actorText(cat, d.ProposedBy)})
		}
		if d.Record != "" {
			sec.Pairs = append(sec.Pairs, pair{Label: h.tr(r, "damage.record"), Value: d.Record + " · " + actorText(cat, d.ApprovedBy)})
		}
		decisions := opts("", []string{"restore", "repurpose", "dispose"}, func(c string) string { return h.tr(r, "damage.decision."+c) })
		if u.Can(backstop.PermManageAssets) && (d.State == backstop.DecisionOpen || d.State == backstop.DecisionRejected) {
			sec.Forms = append(sec.Forms, &form{ID: fmt.Sprintf("damage-propose-%d", d.ID), Action: fmt.Sprintf("/prepare/asset-damages/%d/proposal", d.ID), Submit: h.tr(r, "damage.propose"), Fields: []field{
				{Name: "from", Type: "hidden", Value: string(d.State)}, {Label: h.tr(r, "damage.decision"), Name: "decision", Type: "select", Options: decisions},
				{Label: h.tr(r, "damage.reason"), Name: "note", Type: "textarea", Required: true, Max: backstop.MaxAssetText}}})
		}
		if u.Can(backstop.PermApproveAssets) && d.State == backstop.DecisionProposed && d.ProposedBy != u.Name {
			sec.Forms = append(sec.Forms, &form{ID: fmt.Sprintf("damage-decide-%d", d.ID), Action: fmt.Sprintf("/prepare/asset-damages/%d/decision", d.ID), Submit: h.tr(r, "damage.decide"), Fields: []field{
				{Label: h.tr(r, "damage.approve"), Name: "approve", Type: "select", Options: []option{{Value: "1", Label: h.tr(r, "damage.approve.yes")}, {Value: "0", Label: h.tr(r, "damage.approve.no")}}},
				{Label: h.tr(r, "damage.record"), Name: "record", Type: "textarea", Required: true, Max: backstop.MaxAssetText, Hint: h.tr(r, "damage.record.hint")}}})
		}
		v.Sections = append(v.Sections, sec)
	}
	if u.Can(backstop.PermManageAssets) && a.State != backstop.AssetDisposed {
		v.Forms = append(v.Forms, &form{ID: "damage-new", Title: h.tr(r, "damage.new"), Action: fmt.Sprintf("/prepare/assets/%d/damages", a.ID), Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "damage.event"), Name: "event", Required: true, Max: backstop.MaxAssetName, Hint: h.tr(r, "damage.event.hint")},
			{Label: h.tr(r, "damage.date"), Name: "date", Type: "date", Required: true, Value: time.Now().In(backstop.Beijing).Format(time.DateOnly)},
			{Label: h.tr(r, "damage.loss"), Name: "loss", Type: "number", Required: true},
			{Label: h.tr(r, "damage.description"), Name: "description", Type: "textarea", Required: true, Max: backstop.MaxAssetText}}})
	}
	return h.prepPage(w, r, "prep-assets", h.tr(r, "menu.prep.assets"), v)
}

func (h *Handler) recordDamage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Assets.RecordDamage(r.Context(), id, assets.DamageInput{Event: f.Get("event"), Date: f.Get("date"), Loss: atof(f.Get("loss")), Description: f.Get("description")}); err != nil {
		return h.prepFail(w, r, err, h.assetPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/assets/%d", id))
}

func (h *Handler) proposeDamage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	d, err := h.cfg.Assets.Propose(r.Context(), id, assets.Proposal{From: f.Get("from"), Decision: f.Get("decision"), Note: f.Get("note")})
	if err != nil {
		return err
	}
	return done(w, r, fmt.Sprintf("/prepare/assets/%d", d.AssetID))
}

func (h *Handler) decideDamage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	d, err := h.cfg.Assets.Decide(r.Context(), id, assets.Approval{Approve: f.Get("approve") == "1", Record: f.Get("record")})
	if err != nil {
		return err
	}
	return done(w, r, fmt.Sprintf("/prepare/assets/%d", d.AssetID))
}

func (h *Handler) damagesPage(w http.ResponseWriter, r *http.Request) error {
	event := r.URL.Query().Get("event")
	items, err := h.cfg.Assets.EventDamages(r.Context(), event)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "damages", Header: []string{h.tr(r, "damage.event"), h.tr(r, "damage.date"), h.tr(r, "asset.name"), h.tr(r, "asset.class"), h.tr(r, "asset.village"), h.tr(r, "damage.loss"),
		h.tr(r, "damage.decision"), h.tr(r, "damage.record"), h.tr(r, "col.actions")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, d := range items {
			out = append(out, []cell{{Text: d.Event}, {Text: d.Date}, {Text: d.AssetName}, {Text: h.tr(r, "asset.class."+string(d.AssetClass))}, {Text: rn.path(d.Village)}, {Text: yuan(d.Loss), Num: true},
				{Text: h.decisionText(r, d)}, {Text: dashText(d.Record)}, {Text: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/assets/%d", d.AssetID)}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Table: tb, Pager: pg, Filters: &form{Get: true, Action: "/prepare/asset-damages", Fields: []field{{Label: h.tr(r, "damage.event"), Name: "event", Value: event}}}}
	return h.prepPage(w, r, "prep-assets", h.tr(r, "menu.prep.damages"), v)
}
