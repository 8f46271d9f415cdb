package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/sharing"
)

func init() {
	for name, v := range map[string]any{
		"Organisation":      backstop.Organisation{},
		"OrganisationIn":    sharing.OrganisationInput{},
		"OrganisationList":  list[backstop.Organisation]{},
		"Members":           members{},
		"Subscription":      backstop.Subscription{},
		"SubscriptionIn":    sharing.SubscriptionInput{},
		"SubscriptionList":  list[backstop.Subscription]{},
		"DeliveryList":      list[backstop.Delivery]{},
		"Push":              backstop.InboundPush{},
		"PushIn":            sharing.PushInput{},
		"PushList":          list[backstop.InboundPush]{},
		"WebhookEnvelope":   sharing.Envelope{},
		"SubscriptionState": subscriptionState{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) listOrganisations(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Sharing.Organisations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createOrganisation(w http.ResponseWriter, r *http.Request) error {
	var in sharing.OrganisationInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := s.cfg.Sharing.CreateOrganisation(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/organisations/%d", o.ID))
	writeJSON(w, http.StatusCreated, o)
	return nil
}

type members struct {
	Members []string `json:"members"`
}

func (s *Server) setMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Organisation")
	if err != nil {
		return err
	}
	var in members
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := s.cfg.Sharing.SetMembers(r.Context(), id, in.Members)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	var org int64
	if v := r.URL.Query().Get("organisation"); v != "" {
		var err error
		if org, err = strconv.ParseInt(v, 10, 64); err != nil || org <= 0 {
			return backstop.Localized(backstop.EINVALID, "organisation 须为部门编号，不能是“%s”", "organisation must be an organisation id, not %q.", v)
		}
	}
	items, err := s.cfg.Sharing.Subscriptions(r.Context(), org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) error {
	var in sharing.SubscriptionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sub, err := s.cfg.Sharing.Subscribe(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/subscriptions/%d", sub.ID))
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Subscription")
	if err != nil {
		return err
	}
	sub, err := s.cfg.Sharing.Subscription(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sub)
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Subscription")
	if err != nil {
		return err
	}
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Sharing.Deliveries(r.Context(), id, offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

type subscriptionState struct {
	Active bool `json:"active"`
}

func (s *Server) setSubscriptionState(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Subscription")
	if err != nil {
		return err
	}
	var in subscriptionState
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sub, err := s.cfg.Sharing.SetActive(r.Context(), id, in.Active)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sub)
	return nil
}

func (s *Server) createPush(w http.ResponseWriter, r *http.Request) error {
	var in sharing.PushInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if in.Key != "" && in.Key != key {
			return backstop.Localized(backstop.EINVALID, "请求头 Idempotency-Key 与 key 字段不一致", "The Idempotency-Key header and the key field differ.")
		}
		in.Key = key
	}
	p, err := s.cfg.Sharing.Push(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if p.Replayed {
		status = http.StatusOK
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/pushes/%d", p.ID))
	writeJSON(w, status, p)
	return nil
}

func (s *Server) listPushes(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	var org int64
	if v := r.URL.Query().Get("organisation"); v != "" {
		if org, err = strconv.ParseInt(v, 10, 64); err != nil || org <= 0 {
			return backstop.Localized(backstop.EINVALID, "organisation 须为部门编号，不能是“%s”", "organisation must be an organisation id, not %q.", v)
		}
	}
	items, total, err := s.cfg.Sharing.Pushes(r.Context(), org, r.URL.Query().Get("kind"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

// sharingRoutes are the routes of this file.
func (s *Server) sharingRoutes() []*route {
	orgParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "organisation id"}
	subParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "subscription id"}
	return []*route{
		{method: "GET", path: "/api/v1/organisations", summary: "The departments of your region as organisations, with their members (a department's user: its own)", tag: "sharing",
			response: "OrganisationList", handle: s.listOrganisations, access: access{perm: backstop.PermReadSharing}},
		{method: "POST", path: "/api/v1/organisations", summary: "Make a department of a city or county an organisation (one of the eight kinds), with its responsible person and members", tag: "sharing",
			body: "OrganisationIn", response: "Organisation", status: http.StatusCreated, handle: s.createOrganisation, access: access{perm: backstop.PermManageOrgs, scope: scopeWrite}},
		{method: "PUT", path: "/api/v1/organisations/{id}/members", summary: "Replace an organisation's members (department users inside its region); their API tokens act for it", tag: "sharing",
			params: []param{orgParam}, body: "Members", response: "Organisation", handle: s.setMembers, access: access{perm: backstop.PermManageOrgs, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/subscriptions", summary: "Subscriptions: your organisation's, or those of your region with their deliveries by status", tag: "sharing",
			params: []param{{name: "organisation", in: "query", typ: "integer", desc: "organisation id"}}, response: "SubscriptionList", handle: s.listSubscriptions, access: access{perm: backstop.PermReadSharing}},
		{method: "POST", path: "/api/v1/subscriptions", summary: "Subscribe to events (warning.ingested, warning.updated, release.created, event.opened, loss_report.verified, case.opened, case.cleared) in a region: each is POSTed to the URL as JSON (WebhookEnvelope) with X-Backstop-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>, X-Backstop-Event, X-Backstop-Delivery (the same on retries) and X-Backstop-Timestamp; retried with backoff, one after another", tag: "sharing",
			body: "SubscriptionIn", response: "Subscription", status: http.StatusCreated, handle: s.createSubscription, access: access{perm: backstop.PermSubscribe, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/subscriptions/{id}", summary: "A subscription (its secret never shown again)", tag: "sharing", params: []param{subParam}, response: "Subscription",
			handle: s.getSubscription, access: access{perm: backstop.PermReadSharing, scope: scopeRead}},
		{method: "GET", path: "/api/v1/subscriptions/{id}/deliveries", summary: "A subscription's delivery log: each event's delivery, attempts, last error, next try", tag: "sharing",
			params: append([]param{subParam}, pageParams...), response: "DeliveryList", handle: s.listDeliveries, access: access{perm: backstop.PermReadSharing, scope: scopeRead}},
		{method: "PUT", path: "/api/v1/subscriptions/{id}/state", summary: "Pause or resume a subscription", tag: "sharing", params: []param{subParam}, body: "SubscriptionState",
			response: "Subscription", handle: s.setSubscriptionState, access: access{perm: backstop.PermSubscribe, scope: scopeWrite}},
		{method: "POST", path: "/api/v1/pushes", summary: "Push disaster information (a department's token): losses and relocations (emergency management), water outages (water), house damage (housing), 低保/特困 changes (civil affairs); recorded once per idempotency key (key, or the Idempotency-Key header): 201 new, 200 a replay, 409 another body under a used key, 403 outside the department's region", tag: "sharing",
			params: []param{{name: "Idempotency-Key", in: "header", typ: "string", desc: "the push's idempotency key"}}, body: "PushIn", response: "Push", status: http.StatusCreated,
			handle: s.createPush, access: access{perm: backstop.PermPush, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/pushes", summary: "Pushes received: a department's own, or those of your region (ID numbers and phones masked)", tag: "sharing",
			params:   append([]param{{name: "organisation", in: "query", typ: "integer", desc: "organisation id"}, {name: "kind", in: "query", typ: "string", desc: "push kind"}}, pageParams...),
			response: "PushList", handle: s.listPushes, access: access{perm: backstop.PermReadSharing}},
	}
}
