package capalert_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/capalert"
)

// sharedData is ../shared/data beside the module. The test binary stays free
// of the store packages, whose size would slow the fuzzer to a crawl.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data %s: %v", rel, err)
	}
	return p
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(sharedData(t, "cap/"+dir), "*.xml"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no files in cap/%s: %v", dir, err)
	}
	return matches
}

func TestValidFilesAccepted(t *testing.T) {
	for _, f := range files(t, "valid") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, _ := os.ReadFile(f)
			res, err := capalert.Parse(data)
			if err != nil {
				t.Fatalf("refused: %v\n%v", err, backstop.ErrorDetails(err))
			}
			// An alert without an info block is only an acknowledgement, an
			// error report or a cancel.
			if a := res.Alert; len(a.Infos) == 0 && a.MsgType != "Cancel" && a.MsgType != "Ack" && a.MsgType != "Error" {
				t.Errorf("accepted a %s alert with no info block", a.MsgType)
			}
			// What the parser noticed is located and said in Chinese too.
			for _, w := range res.Warnings {
				if w.Path == "" || w.ReasonZH == "" {
					t.Errorf("note without a path or a Chinese reason: %+v", w)
				}
			}
		})
	}
}

func TestInvalidFilesRefused(t *testing.T) {
	want := map[string]string{
		"google-cap-library-derived_circle_negative_radius.xml":  "alert/info[0]/area[0]/circle: circle radius -3 km is negative",
		"google-cap-library-derived_missing_scope.xml":           "alert/scope: required element <scope> is missing",
		"google-cap-library-derived_not_cap_wrong_namespace.xml": "not CAP",
		"google-cap-library-derived_polygon_too_few_points.xml":  "alert/info[0]/area[0]/polygon: a polygon needs at least 4 positions",
		"google-cap-library-derived_xml_syntax_error.xml":        "not well-formed XML",
		"google-cap-library_invalid.xml":                         "alert/scope: required element <scope> is missing",
		"google-cap-library_noaa_errors.xml":                     "alert/references: <references> is empty",
		"google-cap-library_xee.xml":                             "DOCTYPE",
	}
	for _, f := range files(t, "invalid") {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(f)
			_, err := capalert.Parse(data)
			if err == nil {
				t.Fatal("accepted")
			}
			var all []string
			for _, p := range backstop.ErrorDetails(err) {
				all = append(all, p.String())
				if p.Path == "" || p.Reason == "" || p.ReasonZH == "" {
					t.Errorf("problem without a path or a reason in both languages: %+v", p)
				}
			}
			if backstop.ErrorMessageZH(err) == backstop.ErrorMessage(err) {
				t.Errorf("no Chinese message: %v", err)
			}
			joined := strings.Join(all, "\n")
			if w, ok := want[name]; !ok || !strings.Contains(joined, w) {
				t.Errorf("reasons:\n%s\nwant one containing %q", joined, want[name])
			}
		})
	}
}

func mustParse(t *testing.T, data []byte) *capalert.Alert {
	t.Helper()
	res, err := capalert.Parse(data)
	if err != nil {
		t.Fatalf("parse: %v %v", err, backstop.ErrorDetails(err))
	}
	return res.Alert
}

func asJSON(t *testing.T, a *capalert.Alert) string {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRoundTrip: parse → write → parse keeps every field, for every valid
// file; and what is written validates against the OASIS CAP 1.2 XSD.
func TestRoundTrip(t *testing.T) {
	xsd := sharedData(t, "cap/schema/cap12.xsd")
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is required under CI=true (Debian package libxml2-utils)")
		}
		t.Log("xmllint not installed: schema validation skipped")
	}
	dir := t.TempDir()
	for _, f := range files(t, "valid") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, _ := os.ReadFile(f)
			a1 := mustParse(t, data)
			out := capalert.Marshal(a1)
			a2 := mustParse(t, out)
			if a1.Namespace == capalert.NS12 && asJSON(t, a1) != asJSON(t, a2) {
				t.Errorf("round trip lost something:\n%s\n%s", asJSON(t, a1), asJSON(t, a2))
			}
			a2.Namespace = a1.Namespace
			if asJSON(t, a1) != asJSON(t, a2) {
				t.Errorf("round trip lost something:\n%s\n%s", asJSON(t, a1), asJSON(t, a2))
			}
			if !bytes.Equal(out, capalert.Marshal(a2)) {
				t.Error("writing twice differs")
			}
			if xmllint != "" {
				p := filepath.Join(dir, filepath.Base(f))
				os.WriteFile(p, out, 0o600)
				if b, err := exec.Command(xmllint, "--noout", "--schema", xsd, p).CombinedOutput(); err != nil {
					t.Errorf("xmllint: %v\n%s\n%s", err, b, out)
				}
			}
		})
	}
}

const base = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>62070041600000_20260715080000_1</identifier>
  <sender>zhangye_meteorological_observatory</sender>
  <sent>2026-07-15T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <onset>2026-07-15T10:00:00+08:00</onset>
    <expires>2026-07-16T08:00:00+08:00</expires>
    <headline>张掖市气象台发布暴雨橙色预警[Ⅱ级/严重]</headline>
    <area>
      <areaDesc>甘州区 临泽县</areaDesc>
      <polygon>39.0,100.2 39.0,100.6 38.8,100.6 38.8,100.2 39.0,100.2</polygon>
      <geocode><valueName>CPEAS Geographic Code</valueName><value>620702000000</value></geocode>
    </area>
  </info>
</alert>`

// TestRules checks the rules peers' validators check, one change at a time
// from a valid Chinese alert.
func TestRules(t *testing.T) {
	if _, err := capalert.Parse([]byte(base)); err != nil {
		t.Fatalf("base refused: %v %v", err, backstop.ErrorDetails(err))
	}
	cases := []struct {
		name, from, to string
		wantErr        string // "" means accepted
		wantWarn       string
	}{
		{"comma in identifier", "<identifier>62070041600000_20260715080000_1", "<identifier>a,b", "alert/identifier: identifier \"a,b\" may not contain", ""},
		{"duplicate sender", "<sent>", "<sender>x</sender><sent>", "alert/sender[1]: <sender> may appear only once", ""},
		{"bad month", "2026-07-15T08:00:00+08:00</sent>", "2026-14-15T08:00:00+08:00</sent>", "alert/sent: \"2026-14-15T08:00:00+08:00\" is not a valid date-time", ""},
		{"bad scope", "<scope>Public</scope>", "<scope>Invalid</scope>", "alert/scope: scope \"Invalid\" is not one of Public", ""},
		{"bad references", "<scope>Public</scope>", "<scope>Public</scope><references>a,b</references>", "alert/references: reference \"a,b\" is not sender,identifier,sent", ""},
		{"stray text", "<scope>Public</scope>", "<scope>Public</scope>stray", "alert: text \"stray\" is not allowed", ""},
		{"misspelled element", "<scope>Public</scope>", "<scoep>Public</scoep>", "alert/scoep: unknown element <scoep>", ""},
		{"empty urgency", "<urgency>Expected</urgency>", "<urgency></urgency>", "alert/info[0]/urgency: urgency is empty", ""},
		{"ring not closed is closed", "38.8,100.2 39.0,100.2</polygon>", "38.8,100.2 39.1,100.2</polygon>", "", "alert/info[0]/area[0]/polygon: ring not closed: the first position 39,100.2 was repeated at the end"},
		{"too few positions even when closed", "39.0,100.2 39.0,100.6 38.8,100.6 38.8,100.2 39.0,100.2", "39.0,100.2 39.0,100.6", "alert/info[0]/area[0]/polygon: a polygon needs at least 4 positions", ""},
		{"non-numeric polygon", "39.0,100.2 39.0,100.6", "39.0,100.2 a,b", "alert/info[0]/area[0]/polygon: position \"a,b\" is not two numbers", ""},
		{"polygon out of range", "39.0,100.6 38.8", "300,200 38.8", "out of range", ""},
		{"circle with space in pair", "<geocode>", "<circle>1, 2 3</circle><geocode>", "circle", ""},
		{"ceiling without altitude", "</geocode>", "</geocode><ceiling>1</ceiling>", "alert/info[0]/area[0]/ceiling: <ceiling> needs an <altitude>", ""},
		{"altitude above ceiling", "</geocode>", "</geocode><altitude>2</altitude><ceiling>1</ceiling>", "altitude 2 is above ceiling 1", ""},
		{"bad language", "<language>zh-CN</language>", "<language>zh_CN</language>", "language \"zh_CN\" is not an RFC 3066 tag", ""},
		{"cancel without references", "<msgType>Alert</msgType>", "<msgType>Cancel</msgType>", "msgType Cancel needs <references>", ""},
		{"restricted without restriction", "<scope>Public</scope>", "<scope>Restricted</scope>", "scope Restricted needs a <restriction>", ""},
		{"GB identifier with a bad time", "_20260715080000_1", "_20261315080000_1", "alert/identifier: identifier \"62070041600000_20261315080000_1\" claims the GB/T 35965.1 form", ""},
		{"GB identifier with an unknown province", "<identifier>62070041600000", "<identifier>99070041600000", "claims the GB/T 35965.1 form", ""},
		{"bad CPEAS code", "<value>620702000000</value>", "<value>6207</value>", "alert/info[0]/area[0]/geocode[0]/value: CPEAS geographic code \"6207\"", ""},
		{"not CAP", `xmlns="urn:oasis:names:tc:emergency:cap:1.2"`, `xmlns="foo"`, "not CAP", ""},
		{"DOCTYPE", `<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>`, "DOCTYPE", ""},
		{"out of order is accepted", "<event>暴雨</event>\n    <urgency>Expected</urgency>", "<urgency>Expected</urgency><event>暴雨</event>", "", "alert/info[0]/event: <event> comes after"},
		{"GB entry time differs from sent", "_20260715080000_1", "_20260715070000_1", "", "differs from <sent>"},
		{"colour and severity disagree", "<severity>Severe</severity>", "<severity>Minor</severity>", "", "the headline says orange but severity is Minor"},
		{"6-digit CPEAS code", "<value>620702000000</value>", "<value>620702</value>", "", ""},
		{"ISO-8859-1", `encoding="UTF-8"`, `encoding="ISO-8859-1"`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("base lacks %q", tc.from)
			}
			doc := strings.Replace(base, tc.from, tc.to, 1)
			res, err := capalert.Parse([]byte(doc))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v %v", err, backstop.ErrorDetails(err))
				}
				if tc.wantWarn != "" {
					var ws []string
					for _, w := range res.Warnings {
						ws = append(ws, w.String())
					}
					if !strings.Contains(strings.Join(ws, "\n"), tc.wantWarn) {
						t.Errorf("warnings %v, want %q", ws, tc.wantWarn)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tc.wantErr)
			}
			var all []string
			for _, p := range backstop.ErrorDetails(err) {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.wantErr) {
				t.Errorf("reasons %v, want %q", all, tc.wantErr)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	big := strings.Replace(base, "<scope>", "<note>"+strings.Repeat("x", capalert.MaxBytes)+"</note><scope>", 1)
	_, err := capalert.Parse([]byte(big))
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "2 MiB") || !strings.Contains(backstop.ErrorMessageZH(err), "最多 2097152 字节") {
		t.Errorf("too large: %v", err)
	}
}

func TestGBIdentifier(t *testing.T) {
	id, ok := capalert.ParseGBIdentifier("13060041600000_20240712213138")
	if !ok || id.Region != "130600" || id.Agency != "416" || id.Entered.Format("2006-01-02 15:04:05") != "2024-07-12 21:31:38" {
		t.Errorf("CMA sample: %+v %v", id, ok)
	}
	if _, ok := capalert.ParseGBIdentifier("62070041600000_20260715080000_12"); ok {
		t.Error("two-digit sequence accepted")
	}
}

// FuzzParse: the parser never panics, and what it accepts it writes and
// reads back the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	for _, dir := range []string{"valid", "invalid"} {
		matches, _ := filepath.Glob(filepath.Join("..", "..", "shared", "data", "cap", dir, "*.xml"))
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := capalert.Parse(data)
		if err != nil {
			if backstop.ErrorCode(err) == backstop.EINTERNAL {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		out := capalert.Marshal(res.Alert)
		res2, err := capalert.Parse(out)
		if err != nil {
			t.Fatalf("written alert refused: %v %v\n%s", err, backstop.ErrorDetails(err), out)
		}
		if !bytes.Equal(out, capalert.Marshal(res2.Alert)) {
			t.Fatalf("second write differs")
		}
	})
}

func TestReadFeeds(t *testing.T) {
	for name, want := range map[string]int{"google-cap-library_weather_index.atom": 2, "google-cap-library_weather.atom": 1, "google-cap-library_earthquake_index.atom": 1, "google-cap-library_amber.atom": 1} {
		f, err := os.Open(sharedData(t, "cap/feeds/"+name))
		if err != nil {
			t.Fatal(err)
		}
		entries, err := capalert.ReadFeed(f)
		f.Close()
		if err != nil || len(entries) != want {
			t.Errorf("%s: %d entries, %v", name, len(entries), err)
			continue
		}
		for _, e := range entries {
			if e.Link == "" && e.Embedded == nil {
				t.Errorf("%s: entry %s has neither link nor alert", name, e.ID)
			}
			if e.Embedded != nil {
				if _, err := capalert.Parse(e.Embedded); err != nil {
					t.Errorf("%s: embedded alert refused: %v %v", name, err, backstop.ErrorDetails(err))
				}
			}
		}
	}
}

func TestWriteFeedRoundTrip(t *testing.T) {
	a := mustParse(t, []byte(base))
	var buf bytes.Buffer
	err := capalert.WriteFeed(&buf, "urn:backstop:feed", "张掖市预警", "http://x/cap/feed.atom", a.Sent, []capalert.FeedItem{
		{ID: "urn:backstop:warning:1", Title: "暴雨橙色预警", Updated: a.Sent, Link: "http://x/cap/alerts/1.xml", Alert: capalert.Marshal(a)},
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := capalert.ReadFeed(&buf)
	if err != nil || len(entries) != 1 || entries[0].Link != "http://x/cap/alerts/1.xml" {
		t.Fatalf("read back: %+v %v", entries, err)
	}
	got := mustParse(t, entries[0].Embedded)
	if asJSON(t, got) != asJSON(t, a) {
		t.Errorf("embedded alert changed:\n%s\n%s", asJSON(t, got), asJSON(t, a))
	}
}
