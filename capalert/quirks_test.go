package capalert_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/capalert"
)

// schemaCheck validates a document against the OASIS CAP 1.2 XSD with
// xmllint; without xmllint it skips, except under CI=true.
func schemaCheck(t *testing.T, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is required under CI=true (Debian package libxml2-utils)")
		}
		return
	}
	p := filepath.Join(t.TempDir(), "alert.xml")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", sharedData(t, "cap/schema/cap12.xsd"), p).CombinedOutput(); err != nil {
		t.Errorf("not schema-valid: %v\n%s\n%s", err, out, doc)
	}
}

func problems(ps []backstop.Problem) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, "\n")
}

// TestPublisherQuirks: what real publishers send beside the standard is
// read, each with a note in both languages that names the element, and
// what backstop writes from it is schema-valid CAP 1.2.
func TestPublisherQuirks(t *testing.T) {
	const polygon = "39.0,100.2 39.0,100.6 38.8,100.6 38.8,100.2 39.0,100.2"
	const geocode = "<geocode><valueName>CPEAS Geographic Code</valueName><value>620702000000</value></geocode>"
	self := "zhangye_meteorological_observatory,62070041600000_20260715080000_1,2026-07-15T08:00:00+08:00"
	cases := []struct {
		name     string
		edit     func(string) string
		wantNote string // a note containing this; "" for none expected
		check    func(t *testing.T, a *capalert.Alert)
	}{
		{"empty polygon element beside the geocode (NWS, CMA templates)", func(s string) string {
			return strings.Replace(s, "<polygon>"+polygon+"</polygon>", "<polygon/>", 1)
		}, "alert/info[0]/area[0]/polygon: empty <polygon> ignored", func(t *testing.T, a *capalert.Alert) {
			if ar := a.Infos[0].Areas[0]; len(ar.Polygons) != 0 || len(ar.Geocodes) != 1 {
				t.Errorf("area %+v, want the geocode only", ar)
			}
		}},
		{"polygon of white space only, and a real one", func(s string) string {
			return strings.Replace(s, "<polygon>", "<polygon>\n\t  \n</polygon><polygon>", 1)
		}, "alert/info[0]/area[0]/polygon[0]: empty <polygon> ignored", func(t *testing.T, a *capalert.Alert) {
			if n := len(a.Infos[0].Areas[0].Polygons); n != 1 {
				t.Errorf("%d polygons, want 1", n)
			}
		}},
		{"empty circle element", func(s string) string {
			return strings.Replace(s, geocode, "<circle></circle>"+geocode, 1)
		}, "alert/info[0]/area[0]/circle: empty <circle> ignored", nil},
		{"geocode with an empty value", func(s string) string {
			return strings.Replace(s, geocode, geocode+"<geocode><valueName>SAME</valueName><value> </value></geocode>", 1)
		}, "alert/info[0]/area[0]/geocode[1]: geocode \"SAME\" has an empty value: ignored", func(t *testing.T, a *capalert.Alert) {
			if n := len(a.Infos[0].Areas[0].Geocodes); n != 1 {
				t.Errorf("%d geocodes, want 1", n)
			}
		}},
		{"update referencing its own identifier", func(s string) string {
			s = strings.Replace(s, "<msgType>Alert</msgType>", "<msgType>Update</msgType>", 1)
			return strings.Replace(s, "<scope>Public</scope>", "<scope>Public</scope><references>"+self+"</references>", 1)
		}, "alert/references: reference \"" + self + "\" names this alert's own identifier", func(t *testing.T, a *capalert.Alert) {
			if len(a.References) != 1 || a.References[0].Identifier != a.Identifier {
				t.Errorf("references %+v, want the one kept", a.References)
			}
		}},
		{"self reference with the same identifier but an earlier sent time, and another", func(s string) string {
			s = strings.Replace(s, "<msgType>Alert</msgType>", "<msgType>Update</msgType>", 1)
			return strings.Replace(s, "<scope>Public</scope>", "<scope>Public</scope><references>zhangye_meteorological_observatory,62070041600000_20260715080000_1,2026-07-15T07:00:00+08:00 other,x,2026-07-15T07:00:00+08:00</references>", 1)
		}, "names this alert's own identifier", func(t *testing.T, a *capalert.Alert) {
			if len(a.References) != 2 {
				t.Errorf("references %+v, want both", a.References)
			}
		}},
		{"white space of every kind between positions", func(s string) string {
			return strings.Replace(s, polygon, "\n  39.0,100.2\t39.0,100.6\r\n   38.8,100.6\u00a038.8,100.2  39.0,100.2\n ", 1)
		}, "", func(t *testing.T, a *capalert.Alert) {
			if p := a.Infos[0].Areas[0].Polygons; len(p) != 1 || len(p[0]) != 5 {
				t.Errorf("polygons %v", p)
			}
		}},
		{"closing position missing", func(s string) string {
			return strings.Replace(s, polygon, "39.0,100.2 39.0,100.6 38.8,100.6 38.8,100.2", 1)
		}, "alert/info[0]/area[0]/polygon: ring not closed", func(t *testing.T, a *capalert.Alert) {
			p := a.Infos[0].Areas[0].Polygons[0]
			if len(p) != 5 || p[0] != p[4] {
				t.Errorf("ring %v, want it closed", p)
			}
		}},
		{"three positions, not closed", func(s string) string {
			return strings.Replace(s, polygon, "39.0,100.2 39.0,100.6 38.8,100.6", 1)
		}, "ring not closed", nil},
		{"lower-case and upper-case codes", func(s string) string {
			for _, r := range [][2]string{{"Actual", "actual"}, {">Alert<", ">ALERT<"}, {"Public", "public"}, {">Met<", ">met<"}, {"Expected", "expected"}, {"Severe", "SEVERE"}, {"Likely", "likely"}} {
				s = strings.Replace(s, r[0], r[1], 1)
			}
			return strings.Replace(s, "<urgency>", "<responseType>prepare</responseType><urgency>", 1)
		}, "alert/status: status \"actual\" read as Actual", func(t *testing.T, a *capalert.Alert) {
			in := a.Infos[0]
			if a.Status != "Actual" || a.MsgType != "Alert" || a.Scope != "Public" || in.Categories[0] != "Met" || in.Urgency != "Expected" ||
				in.Severity != "Severe" || in.Certainty != "Likely" || in.ResponseTypes[0] != "Prepare" {
				t.Errorf("codes not read as the standard spells them: %s %s %s %v %s %s %s %v", a.Status, a.MsgType, a.Scope, in.Categories, in.Urgency, in.Severity, in.Certainty, in.ResponseTypes)
			}
		}},
		{"CAP 1.1 namespace with a cap: prefix", func(s string) string {
			s = strings.Replace(s, `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">`, `<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1">`, 1)
			s = strings.ReplaceAll(s, "</", "</cap:")
			s = strings.ReplaceAll(s, "<", "<cap:")
			s = strings.ReplaceAll(s, "<cap:/", "</")
			s = strings.ReplaceAll(s, "<cap:?xml", "<?xml")
			s = strings.ReplaceAll(s, "<cap:cap:", "<cap:")
			return strings.ReplaceAll(s, "</cap:cap:", "</cap:")
		}, "", func(t *testing.T, a *capalert.Alert) {
			if a.Namespace != capalert.NS11 || len(a.Infos[0].Areas[0].Polygons) != 1 {
				t.Errorf("namespace %s, areas %+v", a.Namespace, a.Infos[0].Areas)
			}
		}},
		{"two infos in two languages", func(s string) string {
			en := "<info><language>en-US</language><category>Met</category><event>Rainstorm</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>" +
				"<headline>Rainstorm orange warning</headline><area><areaDesc>Ganzhou, Linze</areaDesc><polygon>" + polygon + "</polygon>" + geocode + "</area></info>"
			return strings.Replace(s, "</info>", "</info>"+en, 1)
		}, "", func(t *testing.T, a *capalert.Alert) {
			if len(a.Infos) != 2 || a.Infos[1].Language != "en-US" || a.Infos[0].Language != "zh-CN" {
				t.Errorf("infos %d", len(a.Infos))
			}
		}},
		{"geocodes of other code lists and spellings of CPEAS", func(s string) string {
			return strings.Replace(s, geocode, geocode+"<geocode><valueName>SAME</valueName><value>006113</value></geocode>"+
				"<geocode><valueName>UGC</valueName><value>CAZ017</value></geocode>"+
				"<geocode><valueName>cpeas_geographic_code</valueName><value> 620723000000 </value></geocode>", 1)
		}, "", func(t *testing.T, a *capalert.Alert) {
			var cpeas []string
			for _, g := range a.Infos[0].Areas[0].Geocodes {
				if capalert.IsCPEAS(g) {
					cpeas = append(cpeas, g.Value)
				}
			}
			if len(a.Infos[0].Areas[0].Geocodes) != 4 || strings.Join(cpeas, " ") != "620702000000 620723000000" {
				t.Errorf("geocodes %+v", a.Infos[0].Areas[0].Geocodes)
			}
		}},
		{"CAP 1.0's Very Likely in a CAP 1.2 alert", func(s string) string {
			return strings.Replace(s, "<certainty>Likely</certainty>", "<certainty>Very Likely</certainty>", 1)
		}, "alert/info[0]/certainty: CAP 1.0 certainty \"Very Likely\" read as Likely", func(t *testing.T, a *capalert.Alert) {
			if a.Infos[0].Certainty != "Likely" {
				t.Errorf("certainty %s", a.Infos[0].Certainty)
			}
		}},
		{"byte order mark, comments, a stylesheet and a signature", func(s string) string {
			s = strings.Replace(s, "<alert ", "<?xml-stylesheet href='x.xsl' type='text/xsl'?>\n<!-- a comment -->\n<alert ", 1)
			s = strings.Replace(s, "</alert>", `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature></alert>`, 1)
			return "\ufeff" + s
		}, "", nil},
		{"longitude a hair past 180 from rounding", func(s string) string {
			return strings.Replace(s, polygon, "39.0,179.9 39.0,180.0000001 38.8,180.0000001 38.8,179.9 39.0,179.9", 1)
		}, "alert/info[0]/area[0]/polygon: 2 coordinates a hair past ±90°/±180° (rounding) were set on the limit", func(t *testing.T, a *capalert.Alert) {
			if p := a.Infos[0].Areas[0].Polygons[0]; p[1].Lon != 180 || p[2].Lon != 180 {
				t.Errorf("ring %v, want longitude 180", p)
			}
		}},
		{"longitude a hair past -180 and latitude past 90 in a circle", func(s string) string {
			return strings.Replace(s, geocode, "<circle>90.000001,-180.000005 10</circle>"+geocode, 1)
		}, "alert/info[0]/area[0]/circle: 2 coordinates a hair past", func(t *testing.T, a *capalert.Alert) {
			if c := a.Infos[0].Areas[0].Circles[0]; c.Centre.Lat != 90 || c.Centre.Lon != -180 {
				t.Errorf("centre %v", c.Centre)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.edit(base)
			if doc == base {
				t.Fatal("the edit changed nothing")
			}
			res, err := capalert.Parse([]byte(doc))
			if err != nil {
				t.Fatalf("refused: %v\n%s", err, problems(backstop.ErrorDetails(err)))
			}
			if tc.wantNote != "" && !strings.Contains(problems(res.Warnings), tc.wantNote) {
				t.Errorf("notes:\n%s\nwant one containing %q", problems(res.Warnings), tc.wantNote)
			}
			for _, w := range res.Warnings {
				if w.Path == "" || w.ReasonZH == "" {
					t.Errorf("note without a path or a Chinese reason: %+v", w)
				}
			}
			if tc.check != nil {
				tc.check(t, res.Alert)
			}
			out, err := capalert.Rewrite([]byte(doc))
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			schemaCheck(t, out)
		})
	}
}

// TestOutOfRange: a position clearly outside the globe is still an error
// naming the element, in both languages.
func TestOutOfRange(t *testing.T) {
	for _, pos := range []string{"39.0,180.01", "39.0,-180.001", "90.01,100", "39.0,200"} {
		doc := strings.Replace(base, "39.0,100.6 38.8,100.6", pos+" 38.8,100.6", 1)
		_, err := capalert.Parse([]byte(doc))
		ds := backstop.ErrorDetails(err)
		if backstop.ErrorCode(err) != backstop.EINVALID || len(ds) != 1 || ds[0].Path != "alert/info[0]/area[0]/polygon" ||
			!strings.Contains(ds[0].Reason, "is out of range") || !strings.Contains(ds[0].ReasonZH, "超出范围") {
			t.Errorf("%s: %v %+v", pos, err, ds)
		}
	}
}

// TestLimits: every limit is refused as too large, naming the limit and
// the element in both languages; just at the limit is accepted.
func TestLimits(t *testing.T) {
	ring := func(points int) string {
		// A valid ring of any length: a triangle, then its first
		// position repeated.
		ps := []string{"1,1", "1,2", "2,2"}
		for len(ps) < points {
			ps = append(ps, "1,1")
		}
		return strings.Join(ps, " ")
	}
	repeat := func(s string, n int) string { return strings.Repeat(s, n) }
	area := func(inner string) string { return "<area><areaDesc>x</areaDesc>" + inner + "</area>" }
	info := func(areas string) string {
		return "<info><category>Met</category><event>暴雨</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>" + areas + "</info>"
	}
	alert := func(infos string) string {
		return `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x1</identifier><sender>s</sender><sent>2026-07-15T08:00:00+08:00</sent>` +
			`<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>` + infos + `</alert>`
	}
	circle := "<circle>39,100 1</circle>"
	geocode := "<geocode><valueName>SAME</valueName><value>006113</value></geocode>"
	cases := []struct {
		name      string
		ok, over  string
		path      string
		en, zh    string
		wantLimit int
	}{
		{"infos", alert(repeat(info(area(circle)), capalert.MaxInfos)), alert(repeat(info(area(circle)), capalert.MaxInfos+1)),
			fmt.Sprintf("alert/info[%d]", capalert.MaxInfos), "too many <info> blocks", "预警信息块 <info> 过多", capalert.MaxInfos},
		{"areas per info", alert(info(repeat(area(circle), capalert.MaxAreasPerInfo))), alert(info(repeat(area(circle), capalert.MaxAreasPerInfo+1))),
			fmt.Sprintf("alert/info[0]/area[%d]", capalert.MaxAreasPerInfo), "too many <area> in one <info>", "预警区域 <area> 过多", capalert.MaxAreasPerInfo},
		{"polygons per area", alert(info(area(repeat("<polygon>"+ring(4)+"</polygon>", capalert.MaxPolygonsPerArea)))),
			alert(info(area(repeat("<polygon>"+ring(4)+"</polygon>", capalert.MaxPolygonsPerArea+1)))),
			fmt.Sprintf("alert/info[0]/area[0]/polygon[%d]", capalert.MaxPolygonsPerArea), "too many <polygon> in one <area>", "多边形 <polygon> 过多", capalert.MaxPolygonsPerArea},
		{"circles per area", alert(info(area(repeat(circle, capalert.MaxCirclesPerArea)))), alert(info(area(repeat(circle, capalert.MaxCirclesPerArea+1)))),
			fmt.Sprintf("alert/info[0]/area[0]/circle[%d]", capalert.MaxCirclesPerArea), "too many <circle> in one <area>", "圆形区域 <circle> 过多", capalert.MaxCirclesPerArea},
		{"geocodes per area", alert(info(area(repeat(geocode, capalert.MaxGeocodesPerArea)))), alert(info(area(repeat(geocode, capalert.MaxGeocodesPerArea+1)))),
			fmt.Sprintf("alert/info[0]/area[0]/geocode[%d]", capalert.MaxGeocodesPerArea), "too many <geocode> in one <area>", "地理编码 <geocode> 过多", capalert.MaxGeocodesPerArea},
		{"points per polygon", alert(info(area("<polygon>" + ring(capalert.MaxPolygonPoints) + "</polygon>"))), alert(info(area("<polygon>" + ring(capalert.MaxPolygonPoints+1) + "</polygon>"))),
			"alert/info[0]/area[0]/polygon", "too many positions in one polygon", "多边形顶点过多", capalert.MaxPolygonPoints},
		{"points per alert", alert(info(area(repeat("<polygon>"+ring(capalert.MaxAlertPoints/10)+"</polygon>", 10)))),
			alert(info(area(repeat("<polygon>"+ring(capalert.MaxAlertPoints/10)+"</polygon>", 10) + "<polygon>" + ring(4) + "</polygon>"))),
			"alert/info[0]/area[0]/polygon[10]", "too many polygon positions in the alert", "多边形顶点总数过多", capalert.MaxAlertPoints},
		// The alert that took 4.9 s and 900 MB: 40,000 circles, spread
		// so that no single area is over its limit.
		{"shapes per alert", alert(info(repeat(area(repeat(circle, 100)), capalert.MaxAlertShapes/100))),
			alert(info(repeat(area(repeat(circle, 100)), 400))),
			fmt.Sprintf("alert/info[0]/area[%d]/circle[0]", capalert.MaxAlertShapes/100), "too many polygons and circles in the alert", "多边形和圆形总数过多", capalert.MaxAlertShapes},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if res, err := capalert.Parse([]byte(tc.ok)); err != nil {
				t.Fatalf("at the limit: %v\n%s", err, problems(backstop.ErrorDetails(err)))
			} else if len(res.Alert.Infos) == 0 {
				t.Fatal("nothing read")
			}
			_, err := capalert.Parse([]byte(tc.over))
			if backstop.ErrorCode(err) != backstop.ETOOLARGE {
				t.Fatalf("over the limit: %v, want too_large", err)
			}
			ds := backstop.ErrorDetails(err)
			if len(ds) != 1 {
				t.Fatalf("%d problems, want the limit once:\n%s", len(ds), problems(ds))
			}
			p := ds[0]
			wantEN, wantZH := fmt.Sprintf("at most %d", tc.wantLimit), fmt.Sprintf("最多 %d 个", tc.wantLimit)
			if p.Path != tc.path || !strings.Contains(p.Reason, tc.en) || !strings.Contains(p.Reason, wantEN) ||
				!strings.Contains(p.ReasonZH, tc.zh) || !strings.Contains(p.ReasonZH, wantZH) {
				t.Errorf("problem %+v\nwant path %s, %q with %q, %q with %q", p, tc.path, tc.en, wantEN, tc.zh, wantZH)
			}
			if !strings.Contains(backstop.ErrorMessageZH(err), wantZH) {
				t.Errorf("Chinese message %q lacks the limit", backstop.ErrorMessageZH(err))
			}
		})
	}
}

// TestXMLLimits: entities are never expanded (a DOCTYPE is refused, an
// undefined entity is not well-formed), and depth, element and token
// counts are bounded.
func TestXMLLimits(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>` + strings.Replace(base, "<scope>", "<code>&lol2;</code><scope>", 1)
	cases := []struct {
		name, doc, code, en, zh string
	}{
		{"billion laughs", laughs, backstop.EINVALID, "DOCTYPE declarations", "不允许 DOCTYPE"},
		{"undefined entity", strings.Replace(base, "<scope>Public", "<scope>&xxe;Public", 1), backstop.EINVALID, "not well-formed XML", "XML 格式错误"},
		{"external entity by parameter", `<?xml version="1.0"?><!DOCTYPE alert SYSTEM "file:///etc/passwd">` + base[strings.Index(base, "<alert"):], backstop.EINVALID, "DOCTYPE", "DOCTYPE"},
		{"deep nesting", strings.Replace(base, "<scope>", strings.Repeat("<x>", 40)+strings.Repeat("</x>", 40)+"<scope>", 1), backstop.ETOOLARGE, "nested too deep: more than 32 levels", "XML 嵌套过深：最多 32 层"},
		{"deep nesting without end", strings.Repeat("<a>", 100000), backstop.ETOOLARGE, "nested too deep", "嵌套过深"},
		{"too many elements", strings.Replace(base, "</alert>", strings.Repeat("<code/>", 50001)+"</alert>", 1), backstop.ETOOLARGE, "too many XML elements: more than 50000", "XML 元素过多：最多 50000 个"},
		{"too many comments", strings.Replace(base, "</alert>", strings.Repeat("<!---->", 250001)+"</alert>", 1), backstop.ETOOLARGE, "too many XML tokens", "XML 内容过多"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := capalert.Parse([]byte(tc.doc))
			ds := backstop.ErrorDetails(err)
			if backstop.ErrorCode(err) != tc.code || len(ds) != 1 || ds[0].Path != "/" || !strings.Contains(ds[0].Reason, tc.en) || !strings.Contains(ds[0].ReasonZH, tc.zh) {
				t.Errorf("%v %+v; want %s with %q / %q", err, ds, tc.code, tc.en, tc.zh)
			}
		})
	}
}

// odd is a valid CAP 1.1 alert written the way real feeds write them:
// ISO-8859-1, a prefix, comments and processing instructions, codes in
// the wrong case, elements out of order, an empty polygon, an unclosed
// ring past the antimeridian by a rounding error, UTC as Z, fractional
// seconds, CDATA with markup characters, a self-reference, base64 with
// line breaks, an extension element and a signature.
const odd = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" +
	"<?xml-stylesheet href='http://example.org/cap.xsl' type='text/xsl'?>\n" +
	"<!-- published by a legacy system -->\n" +
	`<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1" xmlns:ext="urn:example:ext">
 <cap:identifier>MF-2026-0715-0800</cap:identifier>
 <cap:sender>vigilance@meteo.example</cap:sender>
 <cap:sent>2026-07-15T00:00:00.250Z</cap:sent>
 <cap:status>actual</cap:status>
 <cap:msgType>update</cap:msgType>
 <cap:scope>public</cap:scope>
 <cap:code>profile:CAP-FR:0.1</cap:code>
 <cap:note><![CDATA[a < b & c ]]]]><![CDATA[> d	tab]]></cap:note>
 <cap:references>vigilance@meteo.example,MF-2026-0715-0800,2026-07-14T22:00:00-00:00</cap:references>
 <cap:info>
  <cap:category>met</cap:category>
  <cap:language>fr-FR</cap:language>
  <cap:event>Orages violents é à ç</cap:event>
  <cap:urgency>immediate</cap:urgency>
  <cap:severity>severe</cap:severity>
  <cap:certainty>Very Likely</cap:certainty>
  <cap:expires>2026-07-16T00:00:00+02:00</cap:expires>
  <cap:onset>2026-07-15T01:00:00+02:00</cap:onset>
  <cap:headline>Vigilance orange &#8212; orages</cap:headline>
  <cap:web>http://meteo.example/vigilance?dept=2B&amp;x=1</cap:web>
  <cap:resource>
   <cap:resourceDesc>carte</cap:resourceDesc>
   <cap:mimeType>image/png</cap:mimeType>
   <cap:size>3</cap:size>
   <cap:derefUri>
    iVBO
    Rw==
   </cap:derefUri>
  </cap:resource>
  <cap:area>
   <cap:areaDesc>Corse &amp; îles</cap:areaDesc>
   <cap:polygon></cap:polygon>
   <cap:polygon>
     41.3,179.9  41.3,180.0000001
     42.0,180.0000001	42.0,179.9
   </cap:polygon>
   <cap:geocode><cap:valueName>NUTS3</cap:valueName><cap:value>FRM02</cap:value></cap:geocode>
   <cap:geocode><cap:valueName>EMMA_ID</cap:valueName><cap:value></cap:value></cap:geocode>
   <cap:altitude>1e3</cap:altitude>
  </cap:area>
 </cap:info>
 <ext:extra>ignored</ext:extra>
 <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>
</cap:alert>
`

// TestRewrite: what backstop serves for a stored document is its own
// writing of the parsed alert: schema-valid CAP 1.2 with none of the
// publisher's bytes left that the schema or a consumer would trip on, the
// same alert when read back, and the same bytes when rewritten again.
func TestRewrite(t *testing.T) {
	latin1 := []byte(odd)
	// The constant is UTF-8; the document says ISO-8859-1, so encode it.
	var b bytes.Buffer
	for _, r := range string(latin1) {
		if r > 0xff {
			b.WriteString(fmt.Sprintf("&#%d;", r))
			continue
		}
		b.WriteByte(byte(r))
	}
	doc := b.Bytes()
	res, err := capalert.Parse(doc)
	if err != nil {
		t.Fatalf("the odd document is refused: %v\n%s", err, problems(backstop.ErrorDetails(err)))
	}
	out, err := capalert.Rewrite(doc)
	if err != nil {
		t.Fatal(err)
	}
	schemaCheck(t, out)
	s := string(out)
	for _, gone := range []string{"ISO-8859-1", "<!--", "xml-stylesheet", "<cap:", "</cap:", "urn:oasis:names:tc:emergency:cap:1.1", "Signature", "ext:extra", "CDATA", "<polygon></polygon>", "Z</sent>", ".250", "180.0000001", "Very Likely"} {
		if strings.Contains(s, gone) {
			t.Errorf("the rewritten document still has %q:\n%s", gone, s)
		}
	}
	for _, kept := range []string{
		`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">`, "<sent>2026-07-15T00:00:00-00:00</sent>", "<status>Actual</status>", "<msgType>Update</msgType>",
		"<scope>Public</scope>", "<category>Met</category>", "<certainty>Likely</certainty>", "Orages violents é à ç", "Vigilance orange — orages",
		"<polygon>41.3,179.9 41.3,180 42,180 42,179.9 41.3,179.9</polygon>", "<altitude>1000</altitude>",
		"<references>vigilance@meteo.example,MF-2026-0715-0800,2026-07-14T22:00:00-00:00</references>",
	} {
		if !strings.Contains(s, kept) {
			t.Errorf("the rewritten document lacks %q:\n%s", kept, s)
		}
	}
	// <language> comes before <category> as the schema orders them.
	if strings.Index(s, "<language>") > strings.Index(s, "<category>") || strings.Index(s, "<onset>") > strings.Index(s, "<expires>") {
		t.Errorf("not in schema order:\n%s", s)
	}
	again, err := capalert.Parse(out)
	if err != nil {
		t.Fatalf("the rewritten document is refused: %v", err)
	}
	a, b2 := res.Alert, again.Alert
	if a.Note != "a < b & c ]]> d\ttab" || b2.Note != a.Note || b2.Infos[0].Event != a.Infos[0].Event || b2.Infos[0].Areas[0].Desc != "Corse & îles" ||
		b2.Infos[0].Web != a.Infos[0].Web || b2.Infos[0].Resources[0].DerefURI == "" || len(b2.Infos[0].Areas[0].Geocodes) != 1 {
		t.Errorf("content changed:\n%+v\n%+v", a, b2)
	}
	// Only the self-reference still draws a note: it is the alert's
	// content, not the way it was written.
	if len(again.Warnings) != 1 || !strings.Contains(again.Warnings[0].Reason, "names this alert's own identifier") {
		t.Errorf("the rewritten document draws notes:\n%s", problems(again.Warnings))
	}
	if twice, _ := capalert.Rewrite(out); !bytes.Equal(twice, out) {
		t.Errorf("rewriting twice differs:\n%s\n%s", out, twice)
	}
	// A document that is not valid CAP is refused, never passed through.
	if out, err := capalert.Rewrite([]byte(strings.Replace(base, "<scope>Public</scope>", "", 1))); err == nil || out != nil {
		t.Errorf("an invalid stored document was rewritten: %v", err)
	}
}

// TestProblemsBounded: however many notes or problems a document draws,
// 100 are kept and one more says how many were left out; the message
// counts them all.
func TestProblemsBounded(t *testing.T) {
	const polygon = "39.0,100.2 39.0,100.6 38.8,100.6 38.8,100.2 39.0,100.2"
	empty := strings.Replace(base, "<polygon>"+polygon+"</polygon>", strings.Repeat("<polygon/>", 150)+"<polygon>"+polygon+"</polygon>", 1)
	// The second area, left with nothing, draws one note more.
	empty = strings.Replace(empty, "</info>", "<area><areaDesc>x</areaDesc>"+strings.Repeat("<polygon/>", 150)+"</area></info>", 1)
	res, err := capalert.Parse([]byte(empty))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Warnings); n != 101 || res.Warnings[100].Reason != "and 201 more notes, not listed" || res.Warnings[100].ReasonZH != "另有 201 条提示未列出" {
		t.Errorf("%d notes, last %+v", n, res.Warnings[len(res.Warnings)-1])
	}
	bad := strings.Replace(base, "<polygon>"+polygon+"</polygon>", strings.Repeat("<polygon>1,2 3,4</polygon>", 150), 1)
	_, err = capalert.Parse([]byte(bad))
	ds := backstop.ErrorDetails(err)
	if len(ds) != 101 || ds[100].Reason != "and 50 more problems, not listed" || !strings.HasSuffix(backstop.ErrorMessage(err), "(and 149 more)") ||
		!strings.HasSuffix(backstop.ErrorMessageZH(err), "（另有 149 处问题）") {
		t.Errorf("%d problems, last %+v, message %q / %q", len(ds), ds[len(ds)-1], backstop.ErrorMessage(err), backstop.ErrorMessageZH(err))
	}
}

// TestLargeIndexFeed: a national index feed (thousands of entries, each
// with the summary fields NWS puts in) is past an alert's XML limits but
// within a feed's.
func TestLargeIndexFeed(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1"><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>`)
	const entries = 3000
	for i := range entries {
		fmt.Fprintf(&b, `<entry><id>urn:%d</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><link href="/a/%d.xml"/>`, i, i)
		for _, f := range []string{"event", "effective", "expires", "status", "msgType", "category", "urgency", "severity", "certainty", "areaDesc", "polygon"} {
			fmt.Fprintf(&b, "<cap:%s>x</cap:%s>", f, f)
		}
		b.WriteString(`<cap:geocode><valueName>FIPS6</valueName><value>006113</value><valueName>UGC</valueName><value>CAZ017</value></cap:geocode></entry>`)
	}
	b.WriteString("</feed>")
	got, err := capalert.ReadFeed(strings.NewReader(b.String()))
	if err != nil || len(got) != entries || got[entries-1].Link != fmt.Sprintf("/a/%d.xml", entries-1) {
		t.Fatalf("%d entries, %v", len(got), err)
	}
}
