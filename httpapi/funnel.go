package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/funnel"
)

// The loop's dashboard (issue 12 item 8): found → monitored → helped →
// cleared by region.

func init() {
	schemaTypes["Funnel"] = funnel.Dashboard{}
}

func (s *Server) getFunnel(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.Funnel.Read(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) funnelRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/funnel", summary: "The loop's dashboard of a region (发现→监测→帮扶→消除): found, monitored, helped, cleared, held; open and overdue cases, procedure debts, median working days from report to inclusion, measures by category, loans by state, and the same figures per sub-region", tag: "cases",
			params: []param{{name: "region", in: "query", typ: "string", desc: "region code inside your region (default: yours)"}}, response: "Funnel", handle: s.getFunnel,
			access: access{perm: backstop.PermReadCases, scope: scopeRead}},
	}
}
