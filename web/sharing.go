package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sharing"
)

func (h *Handler) sharingPages() {
	h.handle("GET /prepare/organisations", h.organisationsPage)
	h.handle("POST /prepare/organisations", h.createOrganisation)
	h.handle("POST /prepare/organisations/members", h.setOrganisationMembers)
	h.handle("GET /prepare/subscriptions", h.subscriptionsPage)
	h.handle("POST /prepare/subscriptions", h.createSubscription)
	h.handle("GET /prepare/subscriptions/{id}", h.subscriptionPage)
	h.handle("POST /prepare/subscriptions/{id}/state", h.subscriptionState)
	h.handle("GET /prepare/pushes", h.pushesPage)
}

func (h *Handler) sharingLinks(r *http.Request) []pair {
	return []pair{{Label: h.tr(r, "menu.prep.organisations"), Value: h.tr(r, "action.view"), Href: "/prepare/organisations"},
		{Label: h.tr(r, "menu.prep.subscriptions"), Value: h.tr(r, "action.view"), Href: "/prepare/subscriptions"},
		{Label: h.tr(r, "menu.prep.pushes"), Value: h.tr(r, "action.view"), Href: "/prepare/pushes"}}
}

func (h *Handler) organisationsPage(w http.ResponseWriter, r *http.Request) error {
	items, err := h.cfg.Sharing.Organisations(r.Context())
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "organisations", Header: []string{h.tr(r, "col.region"), h.tr(r, "dept.kind"), h.tr(r, "org.name"), h.tr(r, "org.contact"), h.tr(r, "org.phone"), h.tr(r, "org.members")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, o := range items {
			members := make([]string, len(o.Members))
			for i, m := range o.Members {
				members[i] = actorText(h.cats[langOf(r)], m)
			}
			out = append(out, []cell{{Text: rn.of(o.Region)}, {Text: h.tr(r, "dept."+string(o.Kind))}, {Text: o.Name}, {Text: o.Contact}, {Text: dashText(o.Phone)}, {Text: dashText(strings.Join(members, "、"))}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Table: tb, Pager: pg, Note: h.tr(r, "org.note"), Summary: h.sharingLinks(r)}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermManageOrgs) {
		regions := append(h.levelOptions(r, backstop.LevelCity, ""), h.levelOptions(r, backstop.LevelCounty, "")...)
		v.Forms = append(v.Forms, &form{ID: "organisation-new", Title: h.tr(r, "org.new"), Action: "/prepare/organisations", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "dept.kind"), Name: "kind", Type: "select", Options: deptOptions(r, h, "")},
			{Label: h.tr(r, "col.region"), Name: "region", Type: "select", Required: true, Options: regions},
			{Label: h.tr(r, "org.name"), Name: "name", Hint: h.tr(r, "org.name.hint"), Max: backstop.MaxOrgName},
			{Label: h.tr(r, "org.contact"), Name: "contact", Required: true, Max: backstop.MaxOrgName},
			{Label: h.tr(r, "org.phone"), Name: "phone"},
			{Label: h.tr(r, "org.members"), Name: "members", Type: "textarea", Hint: h.tr(r, "org.members.hint")}}})
		var orgs []option
		for _, o := range items {
			orgs = append(orgs, option{Value: strconv.FormatInt(o.ID, 10), Label: rn.of(o.Region) + " " + o.Name})
		}
		if len(orgs) > 0 {
			v.Forms = append(v.Forms, &form{ID: "organisation-members", Title: h.tr(r, "org.members.set"), Action: "/prepare/organisations/members", Submit: h.tr(r, "action.save"), Fields: []field{
				{Label: h.tr(r, "org.name"), Name: "organisation", Type: "select", Options: orgs},
				{Label: h.tr(r, "org.members"), Name: "members", Type: "textarea", Hint: h.tr(r, "org.members.hint")}}})
		}
	}
	return h.prepPage(w, r, "prep-sharing", h.tr(r, "menu.prep.organisations"), v)
}

func (h *Handler) createOrganisation(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := sharing.OrganisationInput{Kind: f.Get("kind"), Region: f.Get("region"), Name: f.Get("name"), Contact: f.Get("contact"), Phone: f.Get("phone"), Members: lines(f.Get("members"))}
	if _, err := h.cfg.Sharing.CreateOrganisation(r.Context(), in); err != nil {
		return h.prepFail(w, r, err, h.organisationsPage)
	}
	return done(w, r, "/prepare/organisations")
}

func (h *Handler) setOrganisationMembers(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Sharing.SetMembers(r.Context(), atoi(f.Get("organisation")), lines(f.Get("members"))); err != nil {
		return h.prepFail(w, r, err, h.organisationsPage)
	}
	return done(w, r, "/prepare/organisations")
}

func (h *Handler) eventTypes(r *http.Request, types []string) string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = h.tr(r, "event.type."+t)
	}
	return strings.Join(out, "、")
}

func (h *Handler) subscriptionsPage(w http.ResponseWriter, r *http.Request) error {
	items, err := h.cfg.Sharing.Subscriptions(r.Context(), 0)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "subscriptions", Header: []string{h.tr(r, "org.name"), h.tr(r, "sub.region"), h.tr(r, "sub.events"), h.tr(r, "sub.url"), h.tr(r, "sub.state"),
		h.tr(r, "delivery.delivered"), h.tr(r, "delivery.pending"), h.tr(r, "delivery.failed"), h.tr(r, "col.actions")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, s := range items {
			out = append(out, []cell{{Text: s.OrgName}, {Text: rn.of(s.Region)}, {Text: h.eventTypes(r, s.Events)}, {Text: s.URL}, {Text: ifText(s.Active, h.tr(r, "sub.active"), h.tr(r, "sub.paused")), Tag: ifText(s.Active, "ok", "warn")},
				{Text: fmtInt(s.Counts[backstop.MessageDelivered]), Num: true}, {Text: fmtInt(s.Counts[backstop.MessagePending]), Num: true}, {Text: fmtInt(s.Counts[backstop.MessageFailed]), Num: true, Tag: ifText(s.Counts[backstop.MessageFailed] > 0, "warn", "")},
				{Text: h.tr(r, "sub.log"), Href: fmt.Sprintf("/prepare/subscriptions/%d", s.ID)}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Table: tb, Pager: pg, Note: h.tr(r, "sub.note"), Summary: h.sharingLinks(r)}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermSubscribe) {
		var events []option
		for _, e := range backstop.EventTypes {
			events = append(events, option{Value: e, Label: h.tr(r, "event.type."+e)})
		}
		regions := append(append(h.levelOptions(r, backstop.LevelCity, ""), h.levelOptions(r, backstop.LevelCounty, "")...), h.levelOptions(r, backstop.LevelTownship, "")...)
		fs := []field{
			{Label: h.tr(r, "sub.url"), Name: "url", Required: true, Hint: h.tr(r, "sub.url.hint")},
			{Label: h.tr(r, "sub.secret"), Name: "secret", Type: "password", Required: true, Hint: h.tr(r, "sub.secret.hint", backstop.MinSecretLength)},
			{Label: h.tr(r, "sub.events"), Name: "events", Type: "multi", Options: events},
			{Label: h.tr(r, "sub.region"), Name: "region", Type: "select", Options: regions}}
		if u.Role != backstop.RoleDepartment {
			orgs, _ := h.cfg.Sharing.Organisations(r.Context())
			var oo []option
			for _, o := range orgs {
				oo = append(oo, option{Value: strconv.FormatInt(o.ID, 10), Label: rn.of(o.Region) + " " + o.Name})
			}
			fs = append([]field{{Label: h.tr(r, "org.name"), Name: "organisation", Type: "select", Options: oo}}, fs...)
		}
		v.Forms = append(v.Forms, &form{ID: "subscription-new", Title: h.tr(r, "sub.new"), Action: "/prepare/subscriptions", Submit: h.tr(r, "action.save"), Fields: fs})
	}
	return h.prepPage(w, r, "prep-sharing", h.tr(r, "menu.prep.subscriptions"), v)
}

func (h *Handler) createSubscription(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := sharing.SubscriptionInput{URL: f.Get("url"), Secret: f.Get("secret"), Events: f["events"], Region: f.Get("region"), Organisation: atoi(f.Get("organisation"))}
	s, err := h.cfg.Sharing.Subscribe(r.Context(), in)
	if err != nil {
		return h.prepFail(w, r, err, h.subscriptionsPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/subscriptions/%d", s.ID))
}

func (h *Handler) subscriptionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := h.cfg.Sharing.Subscription(r.Context(), id)
	if err != nil {
		return err
	}
	tb := &table{ID: "deliveries", Header: []string{h.tr(r, "delivery.key"), h.tr(r, "sub.event"), h.tr(r, "delivery.status"), h.tr(r, "delivery.attempts"), h.tr(r, "delivery.error"),
		h.tr(r, "delivery.next"), h.tr(r, "delivery.at")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Sharing.Deliveries(r.Context(), id, offset, limit)
		var out [][]cell
		for _, d := range items {
			next, at := "—", "—"
			if d.NextAt != nil {
				next = datetimeText(*d.NextAt)
			}
			if d.DeliveredAt != nil {
				at = datetimeText(*d.DeliveredAt)
			}
			out = append(out, []cell{{Text: d.Key}, {Text: h.tr(r, "event.type."+d.Event)}, {Text: h.tr(r, "delivery.status."+d.Status), Tag: deliveryTag(d.Status)},
				{Text: fmtInt(d.Attempts), Num: true}, {Text: dashText(deliveryError(h, r, d.Error))}, {Text: next}, {Text: at}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	rn := h.namer(r)
	info := section{Pairs: []pair{{Label: h.tr(r, "org.name"), Value: s.OrgName}, {Label: h.tr(r, "sub.region"), Value: rn.of(s.Region)}, {Label: h.tr(r, "sub.events"), Value: h.eventTypes(r, s.Events)},
		{Label: h.tr(r, "sub.url"), Value: s.URL}, {Label: h.tr(r, "sub.secret"), Value: h.tr(r, "sub.secret.shown", s.SecretHint)},
		{Label: h.tr(r, "sub.state"), Value: ifText(s.Active, h.tr(r, "sub.active"), h.tr(r, "sub.paused")), Tag: ifText(s.Active, "ok", "warn")}}}
	v := &prepView{Heading: h.tr(r, "sub.heading", s.OrgName), Note: h.tr(r, "sub.signature"), Sections: []section{info}, Table: tb, Pager: pg}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermSubscribe) {
		v.Sections[0].Forms = []*form{{ID: "subscription-state", Action: fmt.Sprintf("/prepare/subscriptions/%d/state", s.ID), Submit: ifText(s.Active, h.tr(r, "sub.pause"), h.tr(r, "sub.resume")),
			Fields: []field{{Name: "active", Type: "hidden", Value: ifText(s.Active, "0", "1")}}}}
	}
	return h.prepPage(w, r, "prep-sharing", h.tr(r, "sub.log"), v)
}

// deliveryError is a delivery's last error as a page shows it: the
// sender's HTTP status or why it gave up, in words.
func deliveryError(h *Handler, r *http.Request, e string) string {
	if e == "" {
		return ""
	}
	if strings.Contains(e, "gave up after") {
		return h.tr(r, "delivery.gave_up") + "（" + strings.TrimSpace(e[strings.LastIndex(e, ":")+1:]) + "）"
	}
	if strings.HasPrefix(e, "HTTP ") {
		return h.tr(r, "delivery.answered", strings.TrimPrefix(e, "HTTP "))
	}
	return h.tr(r, "delivery.unreachable")
}

func deliveryTag(status string) string {
	switch status {
	case backstop.MessageDelivered:
		return "ok"
	case backstop.MessageFailed:
		return "late"
	case backstop.MessagePending:
		return "warn"
	}
	return ""
}

func (h *Handler) subscriptionState(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Sharing.SetActive(r.Context(), id, f.Get("active") == "1"); err != nil {
		return h.prepFail(w, r, err, h.subscriptionPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/subscriptions/%d", id))
}

func (h *Handler) pushesPage(w http.ResponseWriter, r *http.Request) error {
	kind := r.URL.Query().Get("kind")
	rn := h.namer(r)
	tb := &table{ID: "pushes", Header: []string{h.tr(r, "push.received"), h.tr(r, "push.key"), h.tr(r, "push.kind"), h.tr(r, "col.region"), h.tr(r, "push.household"),
		h.tr(r, "push.destination"), h.tr(r, "push.assignee"), h.tr(r, "push.state")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Sharing.Pushes(r.Context(), 0, kind, offset, limit)
		var out [][]cell
		for _, p := range items {
			out = append(out, []cell{{Text: datetimeText(p.ReceivedAt)}, {Text: p.Key}, {Text: h.tr(r, "push.kind."+string(p.Kind))}, {Text: rn.path(p.Region)}, {Text: dashText(p.Household)},
				{Text: h.tr(r, "push.destination."+p.Destination)}, {Text: p.Assignee}, {Text: h.tr(r, "push.state."+p.State)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	var kinds []string
	for _, k := range []backstop.PushKind{backstop.PushLosses, backstop.PushRelocations, backstop.PushWaterOutage, backstop.PushHouseDamage, backstop.PushDibao, backstop.PushTekun} {
		kinds = append(kinds, string(k))
	}
	v := &prepView{Table: tb, Pager: pg, Note: h.tr(r, "push.note"), Summary: h.sharingLinks(r), Filters: &form{Get: true, Action: "/prepare/pushes", Fields: []field{
		{Label: h.tr(r, "push.kind"), Name: "kind", Type: "select", Options: withBlank(h.tr(r, "filter.all"), opts(kind, kinds, func(c string) string { return h.tr(r, "push.kind."+c) }))}}}}
	return h.prepPage(w, r, "prep-sharing", h.tr(r, "menu.prep.pushes"), v)
}
