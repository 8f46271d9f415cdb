package web

import (
	"regexp"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// The audit trail is written once, in English, by the stores; the audit
// page reads it out in the user's language. Each known detail format is
// a pattern with a catalog sentence; a detail of a format not known here
// is shown as recorded, marked as the record's own text.

type detailPattern struct {
	action string
	re     *regexp.Regexp
	key    string // catalog key; the groups fill its %s in order
}

var detailPatterns = []detailPattern{
	{"pii.reveal", regexp.MustCompile(`^ID numbers and phones shown$`), "audit.detail.reveal"},
	{"pii.reveal", regexp.MustCompile(`^phone of (.+) to call \(release (\d+) task (\d+)\)$`), "audit.detail.call"},
	{"pii.reveal", regexp.MustCompile(`^phone of (.+) to call, by the assignee's link \(task (\d+)\)$`), "audit.detail.call_link"},
	{"link.open", regexp.MustCompile(`^(\d+) tasks$`), "audit.detail.link_open"},
	{"task.confirm", regexp.MustCompile(`^stream (\d+), household (\d+): (\w+) by (.*)$`), "audit.detail.confirm"},
	{"release.create", regexp.MustCompile(`^warning (\d+), audiences ([\w,]*), channels ([\w,]*), test (true|false)$`), "audit.detail.release"},
	{"warning.create", regexp.MustCompile(`^(\w+) (\w+) (\w*) (\w+)$`), "audit.detail.warning"},
	{"user.create", regexp.MustCompile(`^role (\w+), region (\d+)$`), "audit.detail.user"},
	{"user.update", regexp.MustCompile(`^role (\w+), region (\d+), disabled (true|false)$`), "audit.detail.user_update"},
	{"member.upsert", regexp.MustCompile(`^household (\d+)$`), "audit.detail.member"},
	{"member.delete", regexp.MustCompile(`^household (\d+)$`), "audit.detail.member"},
	{"consultation.create", regexp.MustCompile(`^(release|no_release)$`), "audit.detail.consultation"},
	{"consultation.approve", regexp.MustCompile(`^(\d+)$`), "audit.detail.consultation_approve"},
	{"regions.import", regexp.MustCompile(`^created (\d+), updated (\d+), unchanged (\d+)$`), "audit.detail.regions"},
	{"exposure.export", regexp.MustCompile(`^snapshot (\d+)$`), "audit.detail.snapshot"},
	{"contact.create", regexp.MustCompile(`^(\w+) (\d+)$`), "audit.detail.contact"},
	{"contact.delete", regexp.MustCompile(`^(\d+)$`), "audit.detail.contact_delete"},
	{"message.receipt", regexp.MustCompile(`^(\w+) (\w+)$`), "audit.detail.receipt"},
	{"template.save", regexp.MustCompile(`^(\w*) (\w*)$`), "audit.detail.template"},
	{"quarantine.accept", regexp.MustCompile(`^warning (\d+) ?(.*)$`), "audit.detail.quarantine_accept"},
	{"quarantine.create", regexp.MustCompile(`^feed (\d+) (\w+) ?(.*)$`), "audit.detail.quarantine"},
	{"token.create", regexp.MustCompile(`^token (\d+) "(.*)", expires (.+)$`), "audit.detail.token"},
	{"token.revoke", regexp.MustCompile(`^token (\d+) "(.*)"$`), "audit.detail.token_revoke"},
	{"roster.import", regexp.MustCompile(`^file (.*): (\d+) rows, (\d+) invalid; households \+(\d+) ~(\d+); people \+(\d+) ~(\d+); written (true|false)$`), "audit.detail.import"},
	{"policy.create", regexp.MustCompile(`^(\d{12}) from (\d{4}-\d{2}-\d{2})$`), "audit.detail.policy"},
	{"exposure.compute", regexp.MustCompile(`^registry revision (\d+): (\d+) households$`), "audit.detail.exposure"},
	{"channel.test", regexp.MustCompile(`^to (.+), key (\S+)$`), "audit.detail.channel_test"},
}

// detailFuncs say the details whose parts vary in number (the years of a
// calendar import, the groups of an export) or carry words of their own.
var detailFuncs = map[string]func(h *Handler, cat catalog, detail string, regionName func(string) string) (string, bool){
	"calendar.import":      calendarDetail,
	"roster.export":        exportDetail,
	"roster.export.reveal": exportDetail,
	"monitoring.decide": func(h *Handler, cat catalog, detail string, _ func(string) string) (string, bool) {
		return monitoringDetail(cat, detail)
	},
}

var (
	calendarYear   = regexp.MustCompile(`^(\d{4}): (\d+) rows \(holiday (\d+), workday (\d+)\)$`)
	exportPattern  = regexp.MustCompile(`^format (\w+), groups \[(.*)\], q "(.*)"$`)
	monitoringPart = regexp.MustCompile(`^(monitored|risk cleared) \((.*)\) by (.+)$`)
)

// calendarDetail: "2027: 35 rows (holiday 29, workday 6); … from FILE".
func calendarDetail(h *Handler, cat catalog, detail string, _ func(string) string) (string, bool) {
	i := strings.LastIndex(detail, " from ")
	if i < 0 {
		return "", false
	}
	var years []string
	for _, part := range strings.Split(detail[:i], "; ") {
		m := calendarYear.FindStringSubmatch(part)
		if m == nil {
			return "", false
		}
		years = append(years, cat.translate("audit.detail.calendar_year", m[1], m[3], m[4]))
	}
	return cat.translate("audit.detail.calendar", strings.Join(years, cat.translate("list.sep")), detail[i+len(" from "):]), true
}

// exportDetail: "format csv, groups [dibao monitored], q "…"".
func exportDetail(h *Handler, cat catalog, detail string, _ func(string) string) (string, bool) {
	m := exportPattern.FindStringSubmatch(detail)
	if m == nil {
		return "", false
	}
	groups := cat.translate("all")
	if names := strings.Fields(m[2]); len(names) > 0 {
		for i, n := range names {
			names[i] = cat.translateOr("group."+n, n)
		}
		groups = strings.Join(names, "、")
	}
	q := m[3]
	if q == "" {
		q = "—"
	}
	return cat.translate("audit.detail.export", strings.ToUpper(m[1]), groups, q), true
}

// monitoringDetail: "monitored (突发严重困难户) by case:12" — a local
// monitoring decision, in the audit trail and the household's history.
func monitoringDetail(cat catalog, detail string) (string, bool) {
	m := monitoringPart.FindStringSubmatch(detail)
	if m == nil {
		return "", false
	}
	what := cat.translate("audit.word.monitored")
	if m[1] == "risk cleared" {
		what = cat.translate("audit.word.risk_cleared")
	}
	if m[2] != "" {
		what += "（" + m[2] + "）"
	}
	return cat.translate("audit.detail.monitoring", what, decisionSource(cat, m[3])), true
}

// decisionSource says what a local monitoring decision rests on: a case
// ("case:12"), a decision by hand ("manual").
func decisionSource(cat catalog, source string) string {
	if kind, id, ok := strings.Cut(source, ":"); ok {
		return cat.translateOr("audit.word.source."+kind, source, id)
	}
	return cat.translateOr("audit.word.source."+source, source)
}

// detailParts are the "; "-separated parts of account details (what a
// user change changed, a password's reset, a refused sign-in).
var detailParts = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^display name "(.*)" → "(.*)"$`), "audit.part.display"},
	{regexp.MustCompile(`^role (\w+) → (\w+)$`), "audit.part.role"},
	{regexp.MustCompile(`^region (\d+) → (\d+)$`), "audit.part.region"},
	{regexp.MustCompile(`^disabled (true|false) → (true|false)$`), "audit.part.disabled"},
	{regexp.MustCompile(`^(\d+) token\(s\) revoked$`), "audit.part.tokens"},
	{regexp.MustCompile(`^no change$`), "audit.part.none"},
	{regexp.MustCompile(`^reset$`), "audit.part.reset"},
	{regexp.MustCompile(`^changed by the user$`), "audit.part.self"},
	{regexp.MustCompile(`^unknown user$`), "audit.part.unknown_user"},
	{regexp.MustCompile(`^wrong password$`), "audit.part.wrong_password"},
	{regexp.MustCompile(`^user disabled$`), "audit.part.user_disabled"},
}

// auditLine is an audit entry in words.
type auditLine struct {
	*backstop.AuditEntry
	ActorText, ViaText, ActionText, RecordText, DetailText string
	// Raw: the detail is shown as recorded (a format this page does not
	// know), not in words.
	Raw bool
}

func (h *Handler) auditLines(lang string, items []*backstop.AuditEntry, regionName func(string) string) []auditLine {
	cat := h.cats[lang]
	out := make([]auditLine, len(items))
	for i, e := range items {
		l := auditLine{AuditEntry: e, ActorText: actorText(cat, e.Actor)}
		l.ViaText = cat.translateOr("via."+e.Via, e.Via)
		l.ActionText = cat.translateOr("audit.action."+e.Action, cat.translate("audit.action.other"))
		l.RecordText = cat.translateOr("entity."+e.Entity, e.Entity)
		if e.Record != "" {
			rec := e.Record
			switch {
			case len(rec) == 12 && allDigits(rec) && (e.Entity == "region" || e.Entity == "calendar" || e.Entity == "policy"):
				rec = regionName(rec)
			case e.Entity == "policy":
				// A policy row names its key: say what the key means.
				if k, ok := backstop.PolicyKeyOf(rec); ok && lang != LangEN {
					rec = "“" + k.ZH + "”"
				}
			case e.Entity == "channel":
				rec = cat.translateOr("channel."+rec, rec)
			}
			l.RecordText += " " + rec
		}
		l.DetailText, l.Raw = h.auditDetail(cat, lang, e, regionName)
		out[i] = l
	}
	return out
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// auditDetail says an entry's detail in words; raw tells a detail shown
// as recorded.
func (h *Handler) auditDetail(cat catalog, lang string, e *backstop.AuditEntry, regionName func(string) string) (string, bool) {
	if e.Detail == "" {
		return "", false
	}
	if lang == LangEN {
		return e.Detail, false
	}
	if fn, ok := detailFuncs[e.Action]; ok {
		if said, ok := fn(h, cat, e.Detail, regionName); ok {
			return said, false
		}
	}
	for _, p := range detailPatterns {
		if p.action != e.Action {
			continue
		}
		m := p.re.FindStringSubmatch(e.Detail)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, g := range m[1:] {
			args[i] = h.auditWord(cat, g, regionName)
		}
		return cat.translate(p.key, args...), false
	}
	if strings.HasPrefix(e.Action, "user.") {
		parts := strings.Split(e.Detail, "; ")
		words := make([]string, 0, len(parts))
		for _, part := range parts {
			said := ""
			for _, dp := range detailParts {
				if m := dp.re.FindStringSubmatch(part); m != nil {
					args := make([]any, len(m)-1)
					for i, g := range m[1:] {
						args[i] = h.auditWord(cat, g, regionName)
					}
					said = cat.translate(dp.key, args...)
					break
				}
			}
			if said == "" {
				return e.Detail, true
			}
			words = append(words, said)
		}
		return strings.Join(words, cat.translate("list.sep")), false
	}
	// Details without a Latin letter (names, numbers, Chinese notes) read
	// as they are.
	if !strings.ContainsFunc(e.Detail, func(r rune) bool { return r < 128 && (r|0x20 >= 'a' && r|0x20 <= 'z') }) {
		return e.Detail, false
	}
	return e.Detail, true
}

// auditWord turns one value of a detail into words: codes of roles,
// outcomes, audiences, channels, hazards, levels and regions.
func (h *Handler) auditWord(cat catalog, v string, regionName func(string) string) string {
	if v == "true" {
		return cat.translate("yes")
	}
	if v == "false" {
		return cat.translate("no")
	}
	if len(v) == 12 && allDigits(v) {
		return regionName(v)
	}
	if strings.Contains(v, ",") {
		parts := strings.Split(v, ",")
		for i, p := range parts {
			parts[i] = h.auditWord(cat, p, regionName)
		}
		return strings.Join(parts, "、")
	}
	for _, prefix := range []string{"role.", "outcome.", "audience.", "channel.", "level.", "contact.", "consult.decision.", "message.", "warning.msgtype.", "warning.status.", "quarantine.code."} {
		if s, ok := cat[prefix+v]; ok {
			return s
		}
	}
	if hi, ok := backstop.HazardOf(backstop.Hazard(v)); ok {
		return hi.ZH
	}
	if strings.Contains(v, ":") {
		return actorText(cat, v)
	}
	return v
}

var (
	historyFile    = regexp.MustCompile(`^file (.+)$`)
	historyMembers = regexp.MustCompile(`^(\d+) member\(s\) given$`)
)

// historyDetail says a household history entry's detail in words.
func historyDetail(cat catalog, lang, d string) string {
	if lang == LangEN || d == "" {
		return d
	}
	if m := historyFile.FindStringSubmatch(d); m != nil {
		return cat.translate("history.file", m[1])
	}
	if m := historyMembers.FindStringSubmatch(d); m != nil {
		return cat.translate("history.members", m[1])
	}
	if said, ok := monitoringDetail(cat, d); ok {
		return said
	}
	return d
}
