package httpapi

import (
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// TestEveryRouteChecksItsQuery walks the route table: every route refuses
// a query parameter it does not declare, and each declared parameter
// refuses a value outside its allowed ones or in the wrong format, with a
// message that names the parameter (and the allowed values).
func TestEveryRouteChecksItsQuery(t *testing.T) {
	routes := (&Server{}).apiRoutes()
	call := func(rt *route, query string) error {
		r := httptest.NewRequest(rt.method, "/x?"+query, nil)
		return checkQuery(rt, r)
	}
	enums := 0
	for _, rt := range routes {
		name := rt.method + " " + rt.path
		err := call(rt, "zz_unknown=1")
		if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), "zz_unknown") {
			t.Errorf("%s with an undeclared parameter: %v", name, err)
		}
		for _, p := range rt.params {
			if p.in != "query" {
				continue
			}
			if err := call(rt, p.name+"="); err != nil {
				t.Errorf("%s: an empty %s is no filter, got %v", name, p.name, err)
			}
			var bad string
			switch {
			case p.values != nil:
				enums++
				bad = "purple"
				if err := call(rt, p.name+"="+url.QueryEscape(p.values[0])); err != nil {
					t.Errorf("%s: %s=%s refused: %v", name, p.name, p.values[0], err)
				}
			case p.typ == "integer", p.typ == "boolean", p.format == "date", p.format == "region":
				bad = "garbage"
			default:
				continue
			}
			err := call(rt, p.name+"="+bad)
			msg := backstop.ErrorMessage(err)
			if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(msg, p.name) || !strings.Contains(msg, bad) {
				t.Errorf("%s: %s=%s: %v", name, p.name, bad, err)
			}
			if p.values != nil && !strings.Contains(msg, p.values[len(p.values)-1]) {
				t.Errorf("%s: %s=%s does not name the allowed values: %s", name, p.name, bad, msg)
			}
		}
	}
	if enums < 15 {
		t.Errorf("only %d enumerated query parameters in the route table", enums)
	}
}

// TestQueryReadsAreDeclared: every query parameter a handler reads is
// declared on a route, or checkQuery would refuse it.
func TestQueryReadsAreDeclared(t *testing.T) {
	declared := map[string]bool{}
	for _, rt := range (&Server{}).apiRoutes() {
		for _, p := range rt.params {
			if p.in == "query" {
				declared[p.name] = true
			}
		}
	}
	files, _ := filepath.Glob("*.go")
	read := regexp.MustCompile(`(?:Query\(\)\.Get|\bq\.Get|Truthy\(r,)\(?\s*"([a-z_]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(src), -1) {
			n++
			if !declared[m[1]] {
				t.Errorf("%s reads the query parameter %q, which no route declares", f, m[1])
			}
		}
	}
	if n < 30 {
		t.Errorf("found only %d query reads", n)
	}
}
