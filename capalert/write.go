package capalert

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// FormatTime writes a CAP date-time: seconds precision, explicit offset,
// and UTC as -00:00 as the standard asks.
func FormatTime(t time.Time) string {
	s := t.Truncate(time.Second).Format("2006-01-02T15:04:05-07:00")
	if strings.HasSuffix(s, "+00:00") {
		s = strings.TrimSuffix(s, "+00:00") + "-00:00"
	}
	return s
}

type writer struct {
	b     bytes.Buffer
	depth int
}

func (w *writer) indent() {
	w.b.WriteByte('\n')
	w.b.WriteString(strings.Repeat("  ", w.depth))
}

func (w *writer) open(name string) {
	w.indent()
	w.b.WriteString("<" + name + ">")
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">")
}

// el writes a text element, leaving out empty optional ones.
func (w *writer) el(name, text string) {
	if text == "" {
		return
	}
	w.req(name, text)
}

// req writes a text element even when empty.
func (w *writer) req(name, text string) {
	w.indent()
	w.b.WriteString("<" + name + ">")
	xml.EscapeText(&w.b, []byte(text))
	w.b.WriteString("</" + name + ">")
}

func (w *writer) timeEl(name string, t *time.Time) {
	if t != nil {
		w.el(name, FormatTime(*t))
	}
}

func (w *writer) named(name string, vs []NamedValue) {
	for _, v := range vs {
		w.open(name)
		w.req("valueName", v.Name)
		w.req("value", v.Value)
		w.close(name)
	}
}

func formatNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func formatLatLon(p LatLon) string { return formatNum(p.Lat) + "," + formatNum(p.Lon) }

// Marshal writes the alert as CAP 1.2, in schema order, so that it
// validates against the OASIS XSD.
func Marshal(a *Alert) []byte {
	w := &writer{}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.b.WriteString(`<alert xmlns="` + NS12 + `">`)
	w.depth = 1
	w.req("identifier", a.Identifier)
	w.req("sender", a.Sender)
	w.req("sent", FormatTime(a.Sent))
	w.req("status", a.Status)
	w.req("msgType", a.MsgType)
	w.el("source", a.Source)
	w.req("scope", a.Scope)
	w.el("restriction", a.Restriction)
	w.el("addresses", a.Addresses)
	for _, c := range a.Codes {
		w.req("code", c)
	}
	w.el("note", a.Note)
	if len(a.References) > 0 {
		refs := make([]string, len(a.References))
		for i, r := range a.References {
			refs[i] = r.Sender + "," + r.Identifier + "," + r.Sent
		}
		w.req("references", strings.Join(refs, " "))
	}
	w.el("incidents", a.Incidents)
	for _, in := range a.Infos {
		w.open("info")
		w.el("language", in.Language)
		for _, c := range in.Categories {
			w.req("category", c)
		}
		w.req("event", in.Event)
		for _, r := range in.ResponseTypes {
			w.req("responseType", r)
		}
		w.req("urgency", in.Urgency)
		w.req("severity", in.Severity)
		w.req("certainty", in.Certainty)
		w.el("audience", in.Audience)
		w.named("eventCode", in.EventCodes)
		w.timeEl("effective", in.Effective)
		w.timeEl("onset", in.Onset)
		w.timeEl("expires", in.Expires)
		w.el("senderName", in.SenderName)
		w.el("headline", in.Headline)
		w.el("description", in.Description)
		w.el("instruction", in.Instruction)
		w.el("web", in.Web)
		w.el("contact", in.Contact)
		w.named("parameter", in.Parameters)
		for _, r := range in.Resources {
			w.open("resource")
			w.req("resourceDesc", r.Desc)
			w.req("mimeType", r.MimeType)
			if r.Size != nil {
				w.el("size", strconv.FormatInt(*r.Size, 10))
			}
			w.el("uri", r.URI)
			w.el("derefUri", r.DerefURI)
			w.el("digest", r.Digest)
			w.close("resource")
		}
		for _, ar := range in.Areas {
			w.open("area")
			w.req("areaDesc", ar.Desc)
			for _, p := range ar.Polygons {
				pts := make([]string, len(p))
				for i, ll := range p {
					pts[i] = formatLatLon(ll)
				}
				w.req("polygon", strings.Join(pts, " "))
			}
			for _, c := range ar.Circles {
				w.req("circle", formatLatLon(c.Centre)+" "+formatNum(c.RadiusKM))
			}
			w.named("geocode", ar.Geocodes)
			if ar.Altitude != nil {
				w.el("altitude", formatNum(*ar.Altitude))
			}
			if ar.Ceiling != nil {
				w.el("ceiling", formatNum(*ar.Ceiling))
			}
			w.close("area")
		}
		w.close("info")
	}
	w.b.WriteString("\n</alert>\n")
	return w.b.Bytes()
}

// Rewrite returns the CAP document backstop serves for a stored alert
// document: the alert parsed and written again by Marshal, never the
// publisher's bytes. What reaches TV, radio and new-media systems is then
// CAP 1.2 in schema order that validates against the OASIS schema,
// whatever the publisher sent: a CAP 1.1 namespace, lower-case codes, an
// unclosed ring, empty polygons, comments, processing instructions, a
// legacy encoding, or extension and signature elements (a signature would
// not match the rewritten document anyway). A document that no longer
// parses is refused with Parse's error rather than served as it is.
func Rewrite(doc []byte) ([]byte, error) {
	res, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	return Marshal(res.Alert), nil
}
