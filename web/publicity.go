package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/publicity"
)

func (h *Handler) publicityPages() {
	h.handle("GET /prepare/publicity", h.publicityPage)
	h.handle("POST /prepare/publicity", h.createPublicityEvent)
	h.handle("POST /prepare/publicity/calendar", h.proposePublicity)
	h.handle("GET /prepare/publicity/coverage", h.publicityCoveragePage)
	h.handle("GET /prepare/publicity/{id}", h.publicityEventPage)
	h.handle("POST /prepare/publicity/{id}", h.updatePublicityEvent)
}

func (h *Handler) themeNames(r *http.Request) (map[string]string, []option) {
	names := map[string]string{}
	var o []option
	u := backstop.UserFromContext(r.Context())
	ts, err := h.cfg.Publicity.Themes(r.Context(), u.Region)
	if err != nil {
		return names, nil
	}
	for _, t := range ts {
		names[t.Code] = t.ZH
		if langOf(r) == LangEN && t.EN != "" {
			names[t.Code] = t.EN
		}
		o = append(o, option{Value: t.Code, Label: names[t.Code] + fmt.Sprintf("（%d月%d日）", t.Month, t.Day)})
	}
	return names, o
}

func publicityTag(s backstop.PublicityState) string {
	switch s {
	case backstop.PublicityHeld:
		return "ok"
	case backstop.PublicityProposed:
		return "warn"
	}
	return ""
}

func (h *Handler) publicityPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	year, _ := strconv.Atoi(q.Get("year"))
	if year == 0 {
		year = time.Now().In(backstop.Beijing).Year()
	}
	f := backstop.PublicityFilter{Year: year, Theme: q.Get("theme"), State: backstop.PublicityState(q.Get("state"))}
	names, themeOpts := h.themeNames(r)
	rn := h.namer(r)
	tb := &table{ID: "publicity", Header: []string{h.tr(r, "publicity.date"), h.tr(r, "publicity.theme"), h.tr(r, "publicity.title"), h.tr(r, "col.county"), h.tr(r, "publicity.township"),
		h.tr(r, "publicity.place"), h.tr(r, "publicity.organiser"), h.tr(r, "publicity.audience"), h.tr(r, "publicity.state"), h.tr(r, "col.actions")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		f.Limit, f.Offset = limit, offset
		items, total, err := h.cfg.Publicity.Events(r.Context(), f)
		var out [][]cell
		for _, e := range items {
			out = append(out, []cell{{Text: e.Date}, {Text: dashText(names[e.Theme])}, {Text: e.Title}, {Text: rn.of(e.County)}, {Text: dashText(rn.of(e.Township))}, {Text: dashText(e.Place)},
				{Text: dashText(e.Organiser)}, {Text: fmtInt(e.Audience), Num: true}, {Text: h.tr(r, "publicity.state."+string(e.State)), Tag: publicityTag(e.State)},
				{Text: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/publicity/%d", e.ID)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	states := withBlank(h.tr(r, "filter.all"), opts(string(f.State), []string{"proposed", "planned", "held", "dropped"}, func(c string) string { return h.tr(r, "publicity.state."+c) }))
	v := &prepView{Table: tb, Pager: pg, Summary: []pair{{Label: h.tr(r, "publicity.coverage"), Value: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/publicity/coverage?year=%d", year)}},
		Filters: &form{Get: true, Action: "/prepare/publicity", Fields: []field{
			{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: yearOptions(year)},
			{Label: h.tr(r, "publicity.theme"), Name: "theme", Type: "select", Options: withBlank(h.tr(r, "filter.all"), markSelected(themeOpts, f.Theme))},
			{Label: h.tr(r, "publicity.state"), Name: "state", Type: "select", Options: states}}}}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermManagePublicity) {
		regions := append(h.levelOptions(r, backstop.LevelCity, ""), h.levelOptions(r, backstop.LevelCounty, countyOfUser(u))...)
		v.Forms = append(v.Forms, &form{ID: "publicity-calendar", Title: h.tr(r, "publicity.calendar"), Hint: h.tr(r, "publicity.calendar.hint"), Action: "/prepare/publicity/calendar",
			Submit: h.tr(r, "publicity.calendar.submit"), Fields: []field{{Label: h.tr(r, "col.region"), Name: "region", Type: "select", Options: regions},
				{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: yearOptions(year)}}},
			&form{ID: "publicity-new", Title: h.tr(r, "publicity.new"), Action: "/prepare/publicity", Submit: h.tr(r, "action.save"), Fields: h.publicityFields(r, nil, themeOpts)})
	}
	return h.prepPage(w, r, "prep-publicity", h.tr(r, "menu.prep.publicity"), v)
}

func (h *Handler) publicityFields(r *http.Request, e *backstop.PublicityEvent, themes []option) []field {
	u := backstop.UserFromContext(r.Context())
	if e == nil {
		e = &backstop.PublicityEvent{County: countyOfUser(u), State: backstop.PublicityPlanned, Date: time.Now().In(backstop.Beijing).Format(time.DateOnly)}
	}
	states := opts(string(e.State), []string{"proposed", "planned", "held", "dropped"}, func(c string) string { return h.tr(r, "publicity.state."+c) })
	return []field{
		{Label: h.tr(r, "publicity.theme"), Name: "theme", Type: "select", Options: markSelected(themes, e.Theme)},
		{Label: h.tr(r, "publicity.title"), Name: "title", Value: e.Title, Required: true, Max: backstop.MaxPublicityText},
		{Label: h.tr(r, "col.county"), Name: "county", Type: "select", Options: h.levelOptions(r, backstop.LevelCounty, e.County)},
		{Label: h.tr(r, "publicity.township"), Name: "township", Type: "select", Options: withBlank("—", h.levelOptions(r, backstop.LevelTownship, e.Township))},
		{Label: h.tr(r, "publicity.date"), Name: "date", Type: "date", Value: e.Date, Required: true},
		{Label: h.tr(r, "publicity.place"), Name: "place", Value: e.Place, Max: backstop.MaxPublicityText},
		{Label: h.tr(r, "publicity.organiser"), Name: "organiser", Value: e.Organiser, Max: backstop.MaxPublicityText},
		{Label: h.tr(r, "publicity.audience"), Name: "audience", Type: "number", Value: ifText(e.Audience > 0, strconv.Itoa(e.Audience), "")},
		{Label: h.tr(r, "publicity.materials"), Name: "materials", Type: "textarea", Value: e.Materials, Max: backstop.MaxPublicityText},
		{Label: h.tr(r, "publicity.state"), Name: "state", Type: "select", Options: states},
		{Name: "from", Type: "hidden", Value: string(e.State)},
	}
}

func publicityInput(f map[string][]string) publicity.Input {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return publicity.Input{Theme: get("theme"), Title: get("title"), County: get("county"), Township: get("township"), Date: get("date"), Place: get("place"), Organiser: get("organiser"),
		Audience: int(atoi(get("audience"))), Materials: get("materials"), State: get("state"), From: get("from")}
}

func (h *Handler) createPublicityEvent(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	e, err := h.cfg.Publicity.Create(r.Context(), publicityInput(f))
	if err != nil {
		return h.prepFail(w, r, err, h.publicityPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/publicity/%d", e.ID))
}

func (h *Handler) proposePublicity(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	year, _ := strconv.Atoi(f.Get("year"))
	if _, err := h.cfg.Publicity.ProposeYear(r.Context(), f.Get("region"), year); err != nil {
		return h.prepFail(w, r, err, h.publicityPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/publicity?year=%d", year))
}

func (h *Handler) publicityEventPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := h.cfg.Publicity.Event(r.Context(), id)
	if err != nil {
		return err
	}
	names, themeOpts := h.themeNames(r)
	rn := h.namer(r)
	info := section{Pairs: []pair{{Label: h.tr(r, "publicity.theme"), Value: dashText(names[e.Theme])}, {Label: h.tr(r, "publicity.date"), Value: e.Date},
		{Label: h.tr(r, "col.county"), Value: rn.of(e.County)}, {Label: h.tr(r, "publicity.township"), Value: dashText(rn.of(e.Township))},
		{Label: h.tr(r, "publicity.state"), Value: h.tr(r, "publicity.state."+string(e.State)), Tag: publicityTag(e.State)},
		{Label: h.tr(r, "publicity.audience"), Value: fmtInt(e.Audience)}, {Label: h.tr(r, "publicity.materials"), Value: dashText(e.Materials)}}}
	v := &prepView{Heading: e.Title, Sections: []section{info}}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManagePublicity) {
		v.Forms = append(v.Forms, &form{ID: "publicity-edit", Title: h.tr(r, "publicity.edit"), Hint: h.tr(r, "publicity.edit.hint"), Action: fmt.Sprintf("/prepare/publicity/%d", e.ID),
			Submit: h.tr(r, "action.save"), Fields: h.publicityFields(r, e, themeOpts)})
	}
	return h.prepPage(w, r, "prep-publicity", h.tr(r, "menu.prep.publicity"), v)
}

func (h *Handler) updatePublicityEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Publicity.Update(r.Context(), id, publicityInput(f)); err != nil {
		return h.prepFail(w, r, err, h.publicityEventPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/publicity/%d", id))
}

func (h *Handler) publicityCoveragePage(w http.ResponseWriter, r *http.Request) error {
	year, _ := strconv.Atoi(r.URL.Query().Get("year"))
	if year == 0 {
		year = time.Now().In(backstop.Beijing).Year()
	}
	region := r.URL.Query().Get("region")
	items, err := h.cfg.Publicity.Coverage(r.Context(), region, year)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "publicity-coverage", Header: []string{h.tr(r, "publicity.township"), h.tr(r, "publicity.held"), h.tr(r, "publicity.audience")}}
	none := 0
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, c := range items {
			out = append(out, []cell{{Text: rn.path(c.Township)}, {Text: fmtInt(c.Held), Num: true, Tag: ifText(c.Held == 0, "warn", "")}, {Text: fmtInt(c.Audience), Num: true}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	for _, c := range items {
		if c.Held == 0 {
			none++
		}
	}
	v := &prepView{Heading: h.tr(r, "publicity.coverage.title", year), Table: tb, Pager: pg,
		Summary: []pair{{Label: h.tr(r, "publicity.townships"), Value: fmtInt(len(items))}, {Label: h.tr(r, "publicity.townships.none"), Value: fmtInt(none), Tag: ifText(none > 0, "warn", "")}},
		Filters: &form{Get: true, Action: "/prepare/publicity/coverage", Fields: []field{
			{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: yearOptions(year)},
			{Label: h.tr(r, "col.county"), Name: "region", Type: "select", Options: withBlank(h.tr(r, "filter.all"), h.levelOptions(r, backstop.LevelCounty, region))}}}}
	return h.prepPage(w, r, "prep-publicity", h.tr(r, "publicity.coverage"), v)
}
