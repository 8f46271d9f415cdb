package httpapi

// apiRoutes is the route table: each capability's routes, from the file
// of its handlers.
func (s *Server) apiRoutes() []*route {
	var out []*route
	for _, part := range [][]*route{s.metaRoutes(), s.regionRoutes(), s.householdRoutes(), s.rosterRoutes(), s.userRoutes(), s.warningRoutes(),
		s.releaseRoutes(), s.quarantineRoutes(), s.calendarRoutes(), s.policyRoutes(), s.screeningRoutes()} {
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
		{name: "region", in: "query", typ: "string", desc: "region code (6, 9 or 12 digits): households inside it"},
		{name: "group", in: "query", typ: "string", desc: "key group, repeatable or comma-separated: formerly_poor, monitored, dibao, tekun, disability, low_income, elderly_alone"},
		{name: "q", in: "query", typ: "string", desc: "household or person number, ID number, or part of a name"},
	}, pageParams...)
	numberParam     = param{name: "number", in: "path", typ: "string", desc: "household number (户编号)", required: true}
	warningParam    = param{name: "id", in: "path", typ: "integer", required: true, desc: "warning id"}
	releaseParam    = param{name: "id", in: "path", typ: "integer", required: true, desc: "release id"}
	quarantineParam = param{name: "id", in: "path", typ: "integer", required: true, desc: "quarantined alert id"}
)
