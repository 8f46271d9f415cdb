package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/httpx"
)

// The quarantine of refused feed alerts: duty officers see what a
// publisher sent and why backstop refused it; admins accept one with an
// area given by hand, or dismiss it.
func (h *Handler) quarantineRoutes() {
	h.handle("GET /quarantine", h.quarantinePage)
	h.handle("GET /quarantine/{id}", h.quarantinedPage)
	h.handle("POST /quarantine/{id}/accept", h.acceptQuarantined)
	h.handle("POST /quarantine/{id}/dismiss", h.dismissQuarantined)
}

var quarantineStates = []string{backstop.QuarantineOpen, backstop.QuarantineAccepted, backstop.QuarantineDismissed}

func (h *Handler) quarantinePage(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	switch state {
	case "":
		state = backstop.QuarantineOpen
	case backstop.QuarantineOpen, backstop.QuarantineAccepted, backstop.QuarantineDismissed, "all":
	default:
		return backstop.Localized(backstop.EINVALID, "处理状态“%s”无法识别，请从列表中选择", "Unknown state %q: choose one from the list.", state)
	}
	f := backstop.QuarantineFilter{State: state}
	if state == "all" {
		f.State = ""
	}
	lang := langOf(r)
	cat := h.cats[lang]
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" {
		ex := &listExport{name: "quarantine", perm: backstop.PermReadWarnings,
			head: []string{cat.translate("quarantine.received"), cat.translate("quarantine.feed"), cat.translate("warning.sender"), cat.translate("quarantine.reason"), cat.translate("quarantine.state")},
			rows: func(limit, offset int) ([][]string, int, error) {
				f.Limit, f.Offset = limit, offset
				items, total, err := h.cfg.Alerting.Quarantined(r.Context(), f)
				rows := make([][]string, len(items))
				for i, q := range items {
					reason := q.Message
					if lang != LangEN {
						reason = q.MessageZH
						if reason == "" {
							reason = cat.translate("quarantine.reason.unexplained")
						}
					}
					rows[i] = []string{q.ReceivedAt.In(backstop.Beijing).Format("2006-01-02 15:04"), q.FeedName, q.Sender,
						cat.translate("quarantine.code."+q.Code) + "：" + reason, cat.translate("quarantine.state." + q.State)}
				}
				return rows, total, err
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 20)
	var items []*backstop.QuarantinedAlert
	err := pg.load(func(limit, offset int) (int, error) {
		f.Limit, f.Offset = limit, offset
		var total int
		var err error
		items, total, err = h.cfg.Alerting.Quarantined(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	h.render(w, r, http.StatusOK, "quarantine.html", &page{Title: h.cats[langOf(r)].translate("menu.quarantine"), Menu: "quarantine",
		Data: map[string]any{"Items": items, "Pager": pg, "State": state, "States": quarantineStates, "CanResolve": u.Can(backstop.PermResolveQuarantine), "Exports": exportLinks(cat, r)}})
	return nil
}

// maxShownDocument is how much of a quarantined document the page shows
// as text; the rest is for the API's download.
const maxShownDocument = 256 << 10

func (h *Handler) quarantinedPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderQuarantined(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderQuarantined(w http.ResponseWriter, r *http.Request, status int, errMsg string, form map[string]string) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	q, err := h.cfg.Alerting.QuarantinedAlert(r.Context(), id)
	if err != nil {
		return err
	}
	doc := q.Document
	cut := false
	if len(doc) > maxShownDocument {
		doc, cut = doc[:maxShownDocument], true
	}
	text := string(doc)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "�")
	}
	u := backstop.UserFromContext(r.Context())
	data := map[string]any{"Q": q, "Text": text, "Cut": cut, "CanResolve": u.Can(backstop.PermResolveQuarantine) && q.State == backstop.QuarantineOpen && !q.Truncated,
		"CanDismiss": u.Can(backstop.PermResolveQuarantine) && q.State == backstop.QuarantineOpen, "Form": form}
	if data["CanResolve"].(bool) {
		counties, towns, err := h.areaChoices(r)
		if err != nil {
			return err
		}
		data["Counties"], data["Towns"] = counties, towns
	}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.quarantine"), Href: "/quarantine"}, {Label: fmt.Sprint(id)}}
	h.render(w, r, status, "quarantined.html", &page{Title: h.cats[langOf(r)].translate("menu.quarantine"), Menu: "quarantine", Crumbs: crumbs, Error: errMsg, Data: data})
	return nil
}

// areaChoices are the counties and townships a warning's area can be
// given by, in the user's scope.
func (h *Handler) areaChoices(r *http.Request) ([]*backstop.Region, []*backstop.Region, error) {
	u := backstop.UserFromContext(r.Context())
	scope := u.Region
	if scope == backstop.NationalScope {
		scope = ""
	}
	counties, _, err := h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Within: scope, Level: backstop.LevelCounty, Limit: 200})
	if err != nil {
		return nil, nil, err
	}
	towns, _, err := h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Within: scope, Level: backstop.LevelTownship, Limit: 2000})
	return counties, towns, err
}

func (h *Handler) acceptQuarantined(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取", "Bad form.")
	}
	form := map[string]string{"area_desc": r.PostFormValue("area_desc"), "polygon": r.PostFormValue("polygon")}
	area := alerting.InputArea{Desc: strings.TrimSpace(form["area_desc"]), Regions: r.PostForm["region"]}
	if poly := strings.TrimSpace(form["polygon"]); poly != "" {
		area.Polygon = json.RawMessage(poly)
	}
	if len(area.Regions) == 0 && len(area.Polygon) == 0 {
		return h.renderQuarantined(w, r, http.StatusBadRequest, h.cats[langOf(r)].translate("quarantine.area.missing"), form)
	}
	warning, err := h.cfg.Alerting.AcceptQuarantined(r.Context(), id, area)
	if err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.ECONFLICT {
			msg := h.errorText(r, err)
			if ds := backstop.ErrorDetails(err); len(ds) > 1 {
				for _, d := range ds[1:] {
					msg += h.cats[langOf(r)].translate("list.sep") + h.problemText(r, d)
				}
			}
			return h.renderQuarantined(w, r, httpx.ErrorStatus(err), msg, form)
		}
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/warnings/%d", warning.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) dismissQuarantined(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取", "Bad form.")
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if _, err := h.cfg.Alerting.DismissQuarantined(r.Context(), id, note); err != nil {
		if backstop.ErrorCode(err) == backstop.ECONFLICT {
			return h.renderQuarantined(w, r, http.StatusConflict, h.errorText(r, err), nil)
		}
		return err
	}
	http.Redirect(w, r, "/quarantine", http.StatusSeeOther)
	return nil
}
