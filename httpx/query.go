package httpx

import (
	"net/http"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// Truthy reads a boolean query parameter.
func Truthy(r *http.Request, name string) bool {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// SheetFormat reads format=csv|xlsx (csv when absent).
func SheetFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "csv":
		return "csv", nil
	case "xlsx":
		return "xlsx", nil
	default:
		return "", backstop.Localized(backstop.EINVALID, "格式只能是 csv 或 xlsx，不能是“%s”", "format must be csv or xlsx, not %q", f)
	}
}

// HouseholdFilter reads region, group and q from a request's query.
func HouseholdFilter(r *http.Request) (backstop.HouseholdFilter, error) {
	q := r.URL.Query()
	g, err := backstop.ParseGroups(q["group"])
	if err != nil {
		return backstop.HouseholdFilter{}, err
	}
	f := backstop.HouseholdFilter{Region: q.Get("region"), Groups: g, Query: strings.TrimSpace(q.Get("q"))}
	if f.Region != "" {
		if f.Region, err = backstop.NormalizeRegionCode(f.Region); err != nil {
			return f, err
		}
	}
	return f, nil
}
