package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/officers"
)

func (h *Handler) officerPages() {
	h.handle("GET /prepare/officers", h.officersPage)
	h.handle("POST /prepare/officers", h.createOfficer)
	h.handle("GET /prepare/officers/coverage", h.coveragePage)
	h.handle("GET /prepare/officers/{id}", h.officerPage)
	h.handle("POST /prepare/officers/{id}", h.updateOfficer)
	h.handle("GET /prepare/trainings", h.trainingsPage)
	h.handle("POST /prepare/trainings", h.createTraining)
}

func (h *Handler) officerFields(r *http.Request, o *backstop.Officer) []field {
	if o == nil {
		o = &backstop.Officer{Since: time.Now().In(backstop.Beijing).Format(time.DateOnly)}
	}
	regions := append(h.levelOptions(r, backstop.LevelVillage, o.Region), h.levelOptions(r, backstop.LevelTownship, o.Region)...)
	phone := ""
	if o.ID == 0 {
		phone = o.Phone
	}
	return []field{
		{Label: h.tr(r, "officer.name"), Name: "name", Value: o.Name, Required: true, Max: backstop.MaxOfficerName},
		{Label: h.tr(r, "officer.phone"), Name: "phone", Value: phone, Required: true, Hint: ifText(o.ID != 0, h.tr(r, "officer.phone.again"), "")},
		{Label: h.tr(r, "officer.region"), Name: "region", Type: "select", Required: true, Options: regions},
		{Label: h.tr(r, "officer.department"), Name: "department", Value: o.Department, Max: backstop.MaxDepartment},
		{Label: h.tr(r, "officer.since"), Name: "since", Type: "date", Value: o.Since, Required: true},
		{Label: h.tr(r, "officer.until"), Name: "until", Type: "date", Value: o.Until, Hint: h.tr(r, "officer.until.hint")},
		{Label: h.tr(r, "officer.user"), Name: "user", Value: o.User, Hint: h.tr(r, "officer.user.hint")},
	}
}

func officerInput(f map[string][]string) officers.Input {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return officers.Input{Name: get("name"), Phone: get("phone"), Region: get("region"), Department: get("department"), Since: get("since"), Until: get("until"), User: get("user")}
}

func (h *Handler) officersPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	due := q.Get("due") == "1"
	f := backstop.OfficerFilter{Region: q.Get("region"), Query: q.Get("q"), All: q.Get("all") == "1"}
	rn := h.namer(r)
	tb := &table{ID: "officers", Header: []string{h.tr(r, "officer.name"), h.tr(r, "officer.phone"), h.tr(r, "officer.region"), h.tr(r, "officer.department"), h.tr(r, "officer.since"),
		h.tr(r, "officer.last_trained"), h.tr(r, "officer.due"), h.tr(r, "col.actions")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		f.Limit, f.Offset = limit, offset
		items, total, err := h.cfg.Officers.Officers(r.Context(), f, due)
		var out [][]cell
		for _, o := range items {
			since := o.Since
			if o.Until != "" {
				since += " — " + o.Until
			}
			out = append(out, []cell{{Text: o.Name}, {Text: o.Phone}, {Text: rn.path(o.Region)}, {Text: dashText(o.Department)}, {Text: since}, {Text: dashText(o.LastTrained)},
				{Text: ifText(o.TrainingDue, h.tr(r, "officer.due.yes"), h.tr(r, "no")), Tag: ifText(o.TrainingDue, "warn", "")},
				{Text: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/officers/%d", o.ID)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	v := &prepView{Table: tb, Pager: pg, Note: h.tr(r, "masked.note"), Filters: &form{Get: true, Action: "/prepare/officers", Fields: []field{
		{Label: h.tr(r, "filter.q"), Name: "q", Value: f.Query},
		{Label: h.tr(r, "officer.due.only"), Name: "due", Type: "checkbox", Value: ifText(due, "1", "")},
		{Label: h.tr(r, "officer.all"), Name: "all", Type: "checkbox", Value: ifText(f.All, "1", "")}}}}
	if c, err := h.cfg.Officers.Coverage(r.Context(), ""); err == nil {
		v.Summary = []pair{{Label: h.tr(r, "coverage.villages"), Value: fmtInt(c.Villages)}, {Label: h.tr(r, "coverage.covered"), Value: fmtInt(c.Covered), Tag: "ok"},
			{Label: h.tr(r, "coverage.gaps"), Value: fmtInt(len(c.Gaps)), Tag: ifText(len(c.Gaps) > 0, "warn", ""), Href: "/prepare/officers/coverage"}}
	}
	if u.Can(backstop.PermManageOfficers) {
		v.Forms = append(v.Forms, &form{ID: "officer-new", Title: h.tr(r, "officer.new"), Action: "/prepare/officers", Submit: h.tr(r, "action.save"), Fields: h.officerFields(r, nil)})
	}
	return h.prepPage(w, r, "prep-officers", h.tr(r, "menu.prep.officers"), v)
}

func (h *Handler) createOfficer(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	o, err := h.cfg.Officers.Create(r.Context(), officerInput(f))
	if err != nil {
		return h.prepFail(w, r, err, h.officersPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/officers/%d", o.ID))
}

func (h *Handler) coveragePage(w http.ResponseWriter, r *http.Request) error {
	region := r.URL.Query().Get("region")
	c, err := h.cfg.Officers.Coverage(r.Context(), region)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "coverage-gaps", Header: []string{h.tr(r, "col.village"), h.tr(r, "col.location"), h.tr(r, "coverage.township_officers")}, Empty: h.tr(r, "coverage.none")}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, g := range c.Gaps {
			out = append(out, []cell{{Text: g.Name}, {Text: rn.path(g.Code)}, {Text: fmtInt(g.TownshipOfficers), Num: true}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Heading: h.tr(r, "coverage.title"), Note: h.tr(r, "coverage.note"), Table: tb, Pager: pg,
		Summary: []pair{{Label: h.tr(r, "coverage.villages"), Value: fmtInt(c.Villages)}, {Label: h.tr(r, "coverage.covered"), Value: fmtInt(c.Covered), Tag: "ok"},
			{Label: h.tr(r, "coverage.gaps"), Value: fmtInt(len(c.Gaps)), Tag: ifText(len(c.Gaps) > 0, "warn", "")}},
		Filters: &form{Get: true, Action: "/prepare/officers/coverage", Fields: []field{{Label: h.tr(r, "col.county"), Name: "region", Type: "select",
			Options: withBlank(h.tr(r, "filter.all"), h.levelOptions(r, backstop.LevelCounty, region))}}}}
	return h.prepPage(w, r, "prep-officers", h.tr(r, "coverage.title"), v)
}

func (h *Handler) officerPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := h.cfg.Officers.Officer(r.Context(), id)
	if err != nil {
		return err
	}
	recs, err := h.cfg.Officers.Records(r.Context(), id)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	info := section{Pairs: []pair{{Label: h.tr(r, "officer.phone"), Value: o.Phone}, {Label: h.tr(r, "officer.region"), Value: rn.path(o.Region)},
		{Label: h.tr(r, "officer.since"), Value: o.Since}, {Label: h.tr(r, "officer.last_trained"), Value: dashText(o.LastTrained)},
		{Label: h.tr(r, "officer.due"), Value: ifText(o.TrainingDue, h.tr(r, "officer.due.yes"), h.tr(r, "no")), Tag: ifText(o.TrainingDue, "warn", "")}}}
	tb := &table{ID: "training-records", Header: []string{h.tr(r, "training.date"), h.tr(r, "training.level"), h.tr(r, "training.topic"), h.tr(r, "training.hours")}}
	for _, x := range recs {
		tb.Rows = append(tb.Rows, []cell{{Text: x.Date}, {Text: h.tr(r, "training.level."+string(x.Level))}, {Text: x.Topic}, {Text: strconv.FormatFloat(x.Hours, 'f', -1, 64), Num: true}})
	}
	v := &prepView{Heading: o.Name, Sections: []section{info, {Title: h.tr(r, "officer.records"), Table: tb}}}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageOfficers) {
		v.Forms = append(v.Forms, &form{ID: "officer-edit", Title: h.tr(r, "officer.edit"), Action: fmt.Sprintf("/prepare/officers/%d", o.ID), Submit: h.tr(r, "action.save"), Fields: h.officerFields(r, o)})
	}
	return h.prepPage(w, r, "prep-officers", h.tr(r, "menu.prep.officers"), v)
}

func (h *Handler) updateOfficer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Officers.Update(r.Context(), id, officerInput(f)); err != nil {
		return h.prepFail(w, r, err, h.officerPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/officers/%d", id))
}

func (h *Handler) trainingsPage(w http.ResponseWriter, r *http.Request) error {
	year, _ := strconv.Atoi(r.URL.Query().Get("year"))
	items, err := h.cfg.Officers.Trainings(r.Context(), "", year)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "trainings", Header: []string{h.tr(r, "training.date"), h.tr(r, "training.level"), h.tr(r, "training.organiser"), h.tr(r, "training.topic"), h.tr(r, "training.hours"),
		h.tr(r, "training.place"), h.tr(r, "training.attendees")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, s := range items {
			out = append(out, []cell{{Text: s.Date}, {Text: h.tr(r, "training.level."+string(s.Level))}, {Text: rn.of(s.Region)}, {Text: s.Topic}, {Text: strconv.FormatFloat(s.Hours, 'f', -1, 64), Num: true},
				{Text: dashText(s.Place)}, {Text: fmtInt(len(s.Attendees)), Num: true}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Table: tb, Pager: pg, Filters: &form{Get: true, Action: "/prepare/trainings", Fields: []field{{Label: h.tr(r, "plan.year"), Name: "year", Type: "select",
		Options: withBlank(h.tr(r, "filter.all"), yearOptions(year))}}}}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermManageOfficers) {
		serving, _, _ := h.cfg.Officers.Officers(r.Context(), backstop.OfficerFilter{Limit: 1000}, false)
		var people []option
		for _, o := range serving {
			people = append(people, option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name + " · " + rn.path(o.Region)})
		}
		levels := opts("", []string{"city", "county", "township"}, func(c string) string { return h.tr(r, "training.level."+c) })
		regions := append(append(h.levelOptions(r, backstop.LevelCity, ""), h.levelOptions(r, backstop.LevelCounty, countyOfUser(u))...), h.levelOptions(r, backstop.LevelTownship, "")...)
		v.Forms = append(v.Forms, &form{ID: "training-new", Title: h.tr(r, "training.new"), Action: "/prepare/trainings", Submit: h.tr(r, "action.save"), Hint: h.tr(r, "training.new.hint"), Fields: []field{
			{Label: h.tr(r, "training.level"), Name: "level", Type: "select", Options: levels},
			{Label: h.tr(r, "training.organiser"), Name: "region", Type: "select", Options: regions},
			{Label: h.tr(r, "training.date"), Name: "date", Type: "date", Required: true},
			{Label: h.tr(r, "training.topic"), Name: "topic", Required: true, Max: backstop.MaxTrainingTopic},
			{Label: h.tr(r, "training.hours"), Name: "hours", Type: "number", Required: true},
			{Label: h.tr(r, "training.place"), Name: "place"},
			{Label: h.tr(r, "training.attendees"), Name: "attendees", Type: "multi", Options: people}}})
	}
	return h.prepPage(w, r, "prep-trainings", h.tr(r, "menu.prep.trainings"), v)
}

func (h *Handler) createTraining(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := officers.TrainingInput{Region: f.Get("region"), Level: f.Get("level"), Date: f.Get("date"), Topic: f.Get("topic"), Hours: atof(f.Get("hours")), Place: f.Get("place")}
	for _, a := range f["attendees"] {
		in.Attendees = append(in.Attendees, atoi(a))
	}
	if _, err := h.cfg.Officers.RecordTraining(r.Context(), in); err != nil {
		return h.prepFail(w, r, err, h.trainingsPage)
	}
	return done(w, r, "/prepare/trainings")
}
