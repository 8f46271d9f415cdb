package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
)

// apiRoutes is the route table: each capability's routes, from the file
// of its handlers.
func (s *Server) apiRoutes() []*route {
	var out []*route
	for _, part := range [][]*route{s.metaRoutes(), s.regionRoutes(), s.householdRoutes(), s.rosterRoutes(), s.userRoutes(), s.warningRoutes(),
		s.releaseRoutes(), s.quarantineRoutes(), s.calendarRoutes(), s.policyRoutes(), s.planRoutes(), s.sharingRoutes(), s.officerRoutes(), s.projectRoutes(), s.insuranceRoutes(), s.assetRoutes(), s.publicityRoutes(), s.screeningRoutes(), s.caseRoutes(), s.funnelRoutes(), s.assistRoutes(), s.loanRoutes()} {
		out = append(out, part...)
	}
	return out
}

// Parameters several capabilities document.
var (
	pageParams = []param{
		{name: "limit", in: "query", typ: "integer", desc: "page size, 1 to 1000"},
		{name: "offset", in: "query", typ: "integer", desc: "rows to skip"},
	}
	householdFilterParams = append([]param{
		{name: "region", in: "query", typ: "string", format: "region", desc: "region code (6, 9 or 12 digits): households inside it"},
		{name: "group", in: "query", typ: "string", desc: "key group, repeatable or comma-separated: formerly_poor, monitored, dibao, tekun, disability, low_income, elderly_alone"},
		{name: "q", in: "query", typ: "string", desc: "household or person number, ID number, or part of a name"},
	}, pageParams...)
	numberParam     = param{name: "number", in: "path", typ: "string", desc: "household number (户编号)", required: true}
	warningParam    = param{name: "id", in: "path", typ: "integer", required: true, desc: "warning id"}
	releaseParam    = param{name: "id", in: "path", typ: "integer", required: true, desc: "release id"}
	quarantineParam = param{name: "id", in: "path", typ: "integer", required: true, desc: "quarantined alert id"}
)

// RouteAccess is what a route declares about who may call it, for the
// authorization matrix test: its method and path, whether it is public,
// the permission it needs ("" for any signed-in user) and its scope rule
// ("none", "read", "write" or "shared"; see scopeRule), what naming
// another user than oneself needs (Others, on routes that name a user),
// and the status of a success.
type RouteAccess struct {
	Method, Path string
	Public       bool
	Perm         backstop.Permission
	Scope        string
	Others       backstop.Permission
	Status       int
}

// RouteAccess lists every route's declared access, in table order.
func (s *Server) RouteAccess() []RouteAccess {
	out := make([]RouteAccess, len(s.routes))
	for i, rt := range s.routes {
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		out[i] = RouteAccess{Method: rt.method, Path: rt.path, Public: rt.public, Perm: rt.access.perm, Scope: rt.access.scope.String(), Others: rt.access.others, Status: status}
	}
	return out
}
