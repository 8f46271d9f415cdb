package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// checkQuery refuses a request whose query string the route does not
// declare: a parameter the route does not take, a value outside the
// parameter's allowed ones, or one in the wrong format — never an
// unfiltered answer that looks like a filtered one. The error names the
// parameter and what it takes.
func checkQuery(rt *route, r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	declared := map[string]*param{}
	var names []string
	for i := range rt.params {
		if p := &rt.params[i]; p.in == "query" {
			declared[p.name] = p
			names = append(names, p.name)
		}
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, ok := declared[k]
		if !ok {
			if len(names) == 0 {
				return backstop.Localized(backstop.EINVALID, "此接口不接受查询参数，不能带“%s”", "This route takes no query parameter, not %q.", k)
			}
			return backstop.Localized(backstop.EINVALID, "未知的查询参数“%s”，此接口可用的参数：%s", "Unknown query parameter %q; this route takes %s.", k, strings.Join(names, ", "))
		}
		for _, v := range q[k] {
			if err := p.check(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// check tells whether v is a value of the parameter.
func (p *param) check(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil // absent: no filter
	}
	if p.values != nil {
		vals := []string{v}
		if p.list {
			vals = strings.Split(v, ",")
		}
		for _, one := range vals {
			if !slices.Contains(p.values, strings.TrimSpace(one)) {
				return backstop.Localized(backstop.EINVALID, "参数 %s 只能是 %s，不能是“%s”", "%s must be one of %s, not %q.", p.name, strings.Join(p.values, ", "), one)
			}
		}
		return nil
	}
	switch {
	case p.typ == "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return backstop.Localized(backstop.EINVALID, "参数 %s 须为整数，不能是“%s”", "%s must be a whole number, not %q.", p.name, v)
		}
	case p.typ == "boolean":
		switch strings.ToLower(v) {
		case "1", "0", "true", "false", "yes", "no", "on", "off":
		default:
			return backstop.Localized(backstop.EINVALID, "参数 %s 只能是 true 或 false，不能是“%s”", "%s must be true or false, not %q.", p.name, v)
		}
	case p.format == "date":
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return backstop.Localized(backstop.EINVALID, "参数 %s 须为 YYYY-MM-DD 格式的日期，不能是“%s”", "%s must be a date YYYY-MM-DD, not %q.", p.name, v)
		}
	case p.format == "region":
		if _, err := backstop.NormalizeRegionCode(v); err != nil {
			return backstop.Localized(backstop.EINVALID, "参数 %s 须为 6、9 或 12 位的行政区划代码，不能是“%s”", "%s must be a region code of 6, 9 or 12 digits, not %q.", p.name, v)
		}
	}
	return nil
}

// hazardCodes are the hazard codes a query may name.
func hazardCodes() []string {
	out := make([]string, len(backstop.Hazards))
	for i, h := range backstop.Hazards {
		out[i] = string(h.Code)
	}
	return out
}

// codes turns a typed enum list into the strings a query may name.
func codes[T ~string](list []T, extra ...string) []string {
	out := make([]string, 0, len(list)+len(extra))
	for _, v := range list {
		out = append(out, string(v))
	}
	return append(out, extra...)
}
