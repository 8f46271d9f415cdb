package httpapi

import (
	"net/http"
)

func (s *Server) apiRoutes() []*route {
	pageParams := []param{
		{name: "limit", in: "query", typ: "integer", desc: "page size, 1 to 1000"},
		{name: "offset", in: "query", typ: "integer", desc: "rows to skip"},
	}
	householdFilter := append([]param{
		{name: "region", in: "query", typ: "string", desc: "region code (6, 9 or 12 digits): households inside it"},
		{name: "group", in: "query", typ: "string", desc: "key group, repeatable or comma-separated: formerly_poor, monitored, dibao, tekun, disability, low_income, elderly_alone"},
		{name: "q", in: "query", typ: "string", desc: "household or person number, ID number, or part of a name"},
	}, pageParams...)
	number := param{name: "number", in: "path", typ: "string", desc: "household number (户编号)", required: true}
	warningParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "warning id"}
	releaseParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "release id"}
	quarantineParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "quarantined alert id"}
	return []*route{
		{method: "GET", path: "/api/v1/openapi.json", summary: "This OpenAPI document", tag: "meta", public: true, response: "object", handle: s.openAPI},
		{method: "GET", path: "/api/v1/me", summary: "The signed-in user", tag: "users", response: "User", handle: s.me},

		{method: "GET", path: "/api/v1/regions", summary: "List regions", tag: "regions", response: "RegionList",
			params: append([]param{
				{name: "parent", in: "query", typ: "string", desc: "direct children of this code"},
				{name: "within", in: "query", typ: "string", desc: "everything inside this code"},
				{name: "level", in: "query", typ: "string", desc: "province, city, county, township or village"},
				{name: "q", in: "query", typ: "string", desc: "part of the name"},
				{name: "counts", in: "query", typ: "boolean", desc: "add household and key-group counts (in your scope)"},
			}, pageParams...), handle: s.listRegions},
		{method: "GET", path: "/api/v1/regions/{code}", summary: "One region, optionally with its GeoJSON boundary", tag: "regions", response: "Region",
			params: []param{{name: "code", in: "path", typ: "string", required: true, desc: "region code"}, {name: "boundary", in: "query", typ: "boolean", desc: "include the boundary"}},
			handle: s.getRegion},

		{method: "GET", path: "/api/v1/households", summary: "List households in your scope", tag: "households", params: householdFilter, response: "HouseholdList", handle: s.listHouseholds},
		{method: "POST", path: "/api/v1/households", summary: "Create a household with its members", tag: "households", body: "Household", response: "Household", status: http.StatusCreated, handle: s.createHousehold},
		{method: "GET", path: "/api/v1/households/{number}", summary: "One household with members; masked unless reveal=1 (needs the reveal permission, audited)", tag: "households",
			params: []param{number, {name: "reveal", in: "query", typ: "boolean", desc: "show ID numbers and phones unmasked"}}, response: "Household", handle: s.getHousehold},
		{method: "PUT", path: "/api/v1/households/{number}", summary: "Replace a household's fields (members given are upserted)", tag: "households", params: []param{number}, body: "Household", response: "Household", handle: s.updateHousehold},
		{method: "DELETE", path: "/api/v1/households/{number}", summary: "Remove a household from the registry (its history stays)", tag: "households", params: []param{number}, status: http.StatusNoContent, handle: s.deleteHousehold},
		{method: "GET", path: "/api/v1/households/{number}/history", summary: "Recorded changes of a household", tag: "households", params: []param{number}, response: "HistoryList", handle: s.householdHistory},
		{method: "PUT", path: "/api/v1/households/{number}/members/{member}", summary: "Create or update a member", tag: "households",
			params: []param{number, {name: "member", in: "path", typ: "string", required: true, desc: "person number (人编号)"}}, body: "Member", response: "Household", handle: s.upsertMember},
		{method: "DELETE", path: "/api/v1/households/{number}/members/{member}", summary: "Remove a member", tag: "households",
			params: []param{number, {name: "member", in: "path", typ: "string", required: true, desc: "person number (人编号)"}}, status: http.StatusNoContent, handle: s.deleteMember},

		{method: "GET", path: "/api/v1/export/households", summary: "Export the roster (csv or xlsx), masked unless reveal=1; audited", tag: "roster",
			params:   append([]param{{name: "format", in: "query", typ: "string", desc: "csv (default) or xlsx"}, {name: "reveal", in: "query", typ: "boolean", desc: "unmasked (needs the reveal permission)"}}, householdFilter[:3]...),
			response: "file", handle: s.exportHouseholds},
		{method: "POST", path: "/api/v1/imports", summary: "Import a roster (csv or xlsx): multipart field \"file\" or the raw file as body", tag: "roster",
			params: []param{
				{name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file"},
				{name: "dry_run", in: "query", typ: "boolean", desc: "check and count, write nothing"},
				{name: "skip_invalid", in: "query", typ: "boolean", desc: "write the good rows, list the bad"},
			}, body: "file", response: "ImportResult", status: http.StatusCreated, handle: s.createImport},
		{method: "GET", path: "/api/v1/imports", summary: "Recent imports", tag: "roster", response: "ImportList", handle: s.listImports},
		{method: "GET", path: "/api/v1/imports/{id}", summary: "One import with its problems", tag: "roster",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "import id"}}, response: "ImportResult", handle: s.getImport},
		{method: "GET", path: "/api/v1/imports/{id}/problems", summary: "The error sheet of an import (csv or xlsx)", tag: "roster",
			params:   []param{{name: "id", in: "path", typ: "integer", required: true, desc: "import id"}, {name: "format", in: "query", typ: "string", desc: "csv (default) or xlsx"}},
			response: "file", handle: s.importProblems},

		{method: "GET", path: "/api/v1/users", summary: "List users (admins)", tag: "users", response: "UserList", handle: s.listUsers},
		{method: "POST", path: "/api/v1/users", summary: "Create a user (admins)", tag: "users", body: "NewUser", response: "User", status: http.StatusCreated, handle: s.createUser},
		{method: "PUT", path: "/api/v1/users/{name}", summary: "Change a user's role, region or disabled flag (admins)", tag: "users",
			params: []param{{name: "name", in: "path", typ: "string", required: true, desc: "user name"}}, body: "User", response: "User", handle: s.updateUser},
		{method: "POST", path: "/api/v1/users/{name}/tokens", summary: "Create an API token; the secret is shown once", tag: "users",
			params: []param{{name: "name", in: "path", typ: "string", required: true, desc: "user name"}}, body: "NewToken", response: "TokenSecret", status: http.StatusCreated, handle: s.createToken},

		{method: "GET", path: "/api/v1/audit", summary: "The audit trail (auditors, admins)", tag: "audit",
			params: append([]param{
				{name: "actor", in: "query", typ: "string", desc: "user name"},
				{name: "action", in: "query", typ: "string", desc: "e.g. household.update, pii.reveal, roster.export"},
				{name: "entity", in: "query", typ: "string", desc: "e.g. household, user, import"},
				{name: "record", in: "query", typ: "string", desc: "record key"},
			}, pageParams...), response: "AuditList", handle: s.listAudit},

		{method: "POST", path: "/api/v1/warnings", summary: "Push a warning: CAP 1.2/1.1 (application/cap+xml or application/xml) or JSON; 201 with the stored warning and its exposure totals, 200 for a duplicate, 400 with every element path and rule broken", tag: "warnings",
			body: "WarningInput", response: "Warning", status: http.StatusCreated, handle: s.createWarning},
		{method: "GET", path: "/api/v1/warnings", summary: "List warnings, newest first", tag: "warnings",
			params:   append([]param{{name: "state", in: "query", typ: "string", desc: "active, updated, cancelled, expired"}, {name: "hazard", in: "query", typ: "string", desc: "hazard code"}}, pageParams...),
			response: "WarningList", handle: s.listWarnings},
		{method: "GET", path: "/api/v1/warnings/{id}", summary: "One warning", tag: "warnings", params: []param{warningParam}, response: "Warning", handle: s.getWarning},
		{method: "GET", path: "/api/v1/warnings/{id}/cap", summary: "The warning's CAP document", tag: "warnings", params: []param{warningParam}, response: "file", handle: s.getWarningCAP},
		{method: "GET", path: "/api/v1/warnings/{id}/exposure", summary: "Who the warning reaches, within your region: totals (households, people), breakdowns, and a page of the ranked households", tag: "warnings",
			params: append([]param{warningParam}, pageParams...), response: "Exposure", handle: s.getExposure},
		{method: "POST", path: "/api/v1/warnings/{id}/exposure", summary: "Compute the exposure again against the registry as it is now", tag: "warnings", params: []param{warningParam}, response: "Exposure", handle: s.recomputeExposure},
		{method: "GET", path: "/api/v1/warnings/{id}/exposure.xlsx", summary: "The exposure as a spreadsheet (phones masked; audited)", tag: "warnings", params: []param{warningParam}, response: "file", handle: s.exportExposure},
		{method: "GET", path: "/api/v1/warnings/{id}/consultations", summary: "Consultations (会商研判) on a warning", tag: "warnings", params: []param{warningParam}, response: "ConsultationList", handle: s.listConsultations},
		{method: "POST", path: "/api/v1/warnings/{id}/consultations", summary: "Record a consultation", tag: "warnings", params: []param{warningParam}, body: "Consultation", response: "Consultation", status: http.StatusCreated, handle: s.createConsultation},
		{method: "POST", path: "/api/v1/consultations/{id}/approve", summary: "Approve a consultation (you are recorded as approver)", tag: "warnings",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "consultation id"}}, response: "Consultation", handle: s.approveConsultation},
		{method: "GET", path: "/api/v1/feeds", summary: "CAP feeds polled for warnings", tag: "warnings", response: "FeedList", handle: s.listFeeds},
		{method: "POST", path: "/api/v1/feeds", summary: "Add a CAP index feed (Atom or RSS) to poll", tag: "warnings", body: "Feed", response: "Feed", status: http.StatusCreated, handle: s.createFeed},

		{method: "POST", path: "/api/v1/warnings/{id}/releases/preview", summary: "Preview a targeted release: messages per audience and channel, SMS segments, confirmation tasks and deadline", tag: "releases",
			params: []param{warningParam}, body: "ReleaseRequest", response: "ReleasePreview", handle: s.previewRelease},
		{method: "POST", path: "/api/v1/warnings/{id}/releases", summary: "Make a targeted release (精准发布): the outbox and confirmation tasks are written at once and sent by workers", tag: "releases",
			params: []param{warningParam}, body: "ReleaseRequest", response: "Release", status: http.StatusCreated, handle: s.createRelease},
		{method: "GET", path: "/api/v1/warnings/{id}/releases", summary: "A warning's releases, newest first", tag: "releases", params: []param{warningParam}, response: "ReleaseList", handle: s.listReleases},
		{method: "GET", path: "/api/v1/releases/{id}", summary: "A release with its dashboard: messages by channel, audience and status; delivery times; confirmations (in your region)", tag: "releases",
			params: []param{releaseParam}, response: "Release", handle: s.getRelease},
		{method: "GET", path: "/api/v1/releases/{id}/tasks", summary: "Last-mile confirmation tasks of a release in your region (phones masked)", tag: "releases",
			params: append([]param{releaseParam, {name: "open", in: "query", typ: "boolean", desc: "only unconfirmed"}, {name: "outcome", in: "query", typ: "string", desc: "phone, in_person, neighbour, unreachable"},
				{name: "village", in: "query", typ: "string", desc: "12-digit village code"}}, pageParams...), response: "TaskList", handle: s.listTasks},
		{method: "POST", path: "/api/v1/tasks/{id}/confirm", summary: "Confirm that a key-group person was reached (or not)", tag: "releases",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "task id"}}, body: "Confirmation", response: "Task", handle: s.confirmTask},
		{method: "POST", path: "/api/v1/receipts/{channel}", summary: "Delivery receipts from a gateway: signed (X-Backstop-Signature: sha256=HMAC of the body) or with ?token=; backstop's form or Alibaba Cloud's SmsReport", tag: "releases", public: true,
			params: []param{{name: "channel", in: "path", typ: "string", required: true, desc: "sms, wecom, broadcast or email"}, {name: "token", in: "query", typ: "string", desc: "the receipt secret, for gateways that cannot sign"}},
			body:   "Receipt", response: "ReceiptAnswer", handle: s.postReceipts},
		{method: "GET", path: "/api/v1/templates", summary: "Message templates by hazard and level", tag: "releases", response: "TemplateList", handle: s.listTemplates},
		{method: "POST", path: "/api/v1/templates", summary: "Add a message template (unknown placeholders are refused)", tag: "releases", body: "Template", response: "Template", status: http.StatusCreated, handle: s.saveTemplate},
		{method: "PUT", path: "/api/v1/templates/{id}", summary: "Change a message template", tag: "releases", params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "template id"}},
			body: "Template", response: "Template", handle: s.saveTemplate},
		{method: "POST", path: "/api/v1/templates/preview", summary: "Render a template (with a warning's values when warning_id is given) and count its SMS segments", tag: "releases",
			body: "TemplateText", response: "TemplatePreview", handle: s.previewTemplate},
		{method: "GET", path: "/api/v1/contacts", summary: "Contacts in your region: village cadres, duty officers, departments, information officers, duty groups, loudspeakers", tag: "releases",
			params: []param{{name: "kind", in: "query", typ: "string", desc: "one kind"}}, response: "ContactList", handle: s.listContacts},
		{method: "POST", path: "/api/v1/contacts", summary: "Add a contact", tag: "releases", body: "Contact", response: "Contact", status: http.StatusCreated, handle: s.createContact},
		{method: "DELETE", path: "/api/v1/contacts/{id}", summary: "Remove a contact", tag: "releases", params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "contact id"}},
			status: http.StatusNoContent, handle: s.deleteContact},
		{method: "GET", path: "/api/v1/channels", summary: "Which channels are configured and where they send", tag: "releases", response: "ChannelList", handle: s.listChannels},
		{method: "POST", path: "/api/v1/channels/{channel}/test", summary: "Send one test message on a channel (admins; audited)", tag: "releases",
			params: []param{{name: "channel", in: "path", typ: "string", required: true, desc: "sms, wecom, broadcast or email"}}, body: "TestMessage", response: "TestResult", handle: s.testChannel},

		{method: "GET", path: "/api/v1/workdays", summary: "The date N working days after a date on China's official calendar (the start day not counted); provisional when a year counted is not loaded (Monday to Friday were counted)", tag: "calendar",
			params:   []param{{name: "from", in: "query", typ: "string", required: true, desc: "start date YYYY-MM-DD"}, {name: "add", in: "query", typ: "integer", required: true, desc: "working days to add (negative: back)"}},
			response: "Workdays", handle: s.workdays},
		{method: "GET", path: "/api/v1/calendar", summary: "The loaded years of the working-day calendar, with their sources, and the years still to load", tag: "calendar", response: "Calendar", handle: s.getCalendar},
		{method: "POST", path: "/api/v1/calendar", summary: "Load years of the working-day calendar (admins): a CSV date,kind,name (holiday/workday) as multipart field \"file\" or the raw body; running clocks due in those years are recounted", tag: "calendar",
			params: []param{{name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file (recorded as the source)"}}, body: "file", response: "CalendarImport", status: http.StatusCreated, handle: s.importCalendar},
		{method: "GET", path: "/api/v1/clocks", summary: "Deadlines (clocks) in your region, soonest due first", tag: "calendar",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "running, overdue, met or cancelled"}, {name: "region", in: "query", typ: "string", desc: "region code: clocks inside it"},
				{name: "kind", in: "query", typ: "string", desc: "e.g. release.confirm"}, {name: "subject", in: "query", typ: "string", desc: "e.g. release:12"}}, pageParams...),
			response: "ClockList", handle: s.listClocks},

		{method: "GET", path: "/api/v1/quarantine", summary: "CAP alerts from feeds that were refused, with the reasons (duty officers of the feed's region)", tag: "warnings",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "open, accepted or dismissed"}}, pageParams...), response: "QuarantineList", handle: s.listQuarantine},
		{method: "GET", path: "/api/v1/quarantine/{id}", summary: "One refused alert with its reasons", tag: "warnings", params: []param{quarantineParam}, response: "Quarantined", handle: s.getQuarantined},
		{method: "GET", path: "/api/v1/quarantine/{id}/document", summary: "The refused alert's document as received (plain text download)", tag: "warnings", params: []param{quarantineParam}, response: "file", handle: s.quarantinedDocument},
		{method: "POST", path: "/api/v1/quarantine/{id}/accept", summary: "Accept a refused alert with an area drawn or chosen by hand (admins): it is ingested as a warning", tag: "warnings",
			params: []param{quarantineParam}, body: "Area", response: "Warning", status: http.StatusCreated, handle: s.acceptQuarantined},
		{method: "POST", path: "/api/v1/quarantine/{id}/dismiss", summary: "Dismiss a refused alert (admins)", tag: "warnings", params: []param{quarantineParam}, body: "Dismissal", response: "Quarantined", handle: s.dismissQuarantined},

		{method: "GET", path: "/api/v1/policies", summary: "Policy parameters and their versions", tag: "policy",
			params: []param{{name: "key", in: "query", typ: "string", desc: "one key"}}, response: "PolicyList", handle: s.listPolicies},
		{method: "POST", path: "/api/v1/policies", summary: "Add a policy version (admins): \"value\" for a number, \"data\" for a structured key (checked against the key's type)", tag: "policy", body: "NewPolicy", response: "Policy", status: http.StatusCreated, handle: s.createPolicy},
	}
}
