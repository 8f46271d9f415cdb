package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/zhangye-backstop/backstop"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u, err := backstop.RequireUser(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.cfg.Accounts.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(users, len(users)))
	return nil
}

type newUser struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Region      string `json:"region"`
	Password    string `json:"password"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in newUser
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u := &backstop.User{Name: in.Name, DisplayName: in.DisplayName, Role: backstop.Role(in.Role), Region: in.Region}
	if err := s.cfg.Accounts.CreateUser(r.Context(), u, in.Password); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in backstop.User
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	in.Name = r.PathValue("name")
	if err := s.cfg.Accounts.UpdateUser(r.Context(), &in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, &in)
	return nil
}

type newToken struct {
	Name string `json:"name"`
	// TTLHours is the token's lifetime; 0 means it does not expire.
	TTLHours int `json:"ttl_hours"`
}

type tokenSecret struct {
	*backstop.Token
	Secret string `json:"secret"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in newToken
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		in.Name = "api"
	}
	secret, tok, err := s.cfg.Accounts.CreateToken(r.Context(), r.PathValue("name"), in.Name, time.Duration(in.TTLHours)*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenSecret{Token: tok, Secret: secret})
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Entity: q.Get("entity"), Record: q.Get("record")}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Accounts.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Policy.Find(r.Context(), r.URL.Query().Get("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

// policyInput is a new policy version as clients send it: dates as
// YYYY-MM-DD (or RFC 3339), a number as "value" or a structured value as
// "data".
type policyInput struct {
	Key           string          `json:"key"`
	Region        string          `json:"region"`
	Value         float64         `json:"value"`
	Data          json.RawMessage `json:"data,omitempty"`
	Unit          string          `json:"unit"`
	EffectiveFrom string          `json:"effective_from"`
	EffectiveTo   string          `json:"effective_to,omitempty"`
	Source        string          `json:"source"`
}

// parseDay reads a date of a policy version.
func parseDay(field, v string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		y, m, d := t.In(backstop.Beijing).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, backstop.Localized(backstop.EINVALID, "%s 须为 YYYY-MM-DD 格式的日期，不能是“%s”", "%s must be a date YYYY-MM-DD, not %q.", field, v)
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) error {
	var in policyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p := backstop.Policy{Key: in.Key, Region: in.Region, Value: in.Value, Data: in.Data, Unit: in.Unit, Source: in.Source}
	var err error
	if p.EffectiveFrom, err = parseDay("effective_from", in.EffectiveFrom); err != nil {
		return err
	}
	if in.EffectiveTo != "" {
		to, err := parseDay("effective_to", in.EffectiveTo)
		if err != nil {
			return err
		}
		p.EffectiveTo = &to
	}
	if err := s.cfg.Policy.Create(r.Context(), &p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, &p)
	return nil
}

// metaRoutes are the routes of this file.
func (s *Server) metaRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/openapi.json", summary: "This OpenAPI document", tag: "meta", public: true, response: "object", handle: s.openAPI},
		{method: "GET", path: "/api/v1/me", summary: "The signed-in user", tag: "users", response: "User", access: access{scope: scopeNone}, handle: s.me},
	}
}

// userRoutes are the routes of this file.
func (s *Server) userRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/users", summary: "List users (admins)", tag: "users", response: "UserList", access: access{perm: backstop.PermManageUsers, scope: scopeNone}, handle: s.listUsers},
		{method: "POST", path: "/api/v1/users", summary: "Create a user (admins)", tag: "users", body: "NewUser", response: "User", status: http.StatusCreated, access: access{perm: backstop.PermManageUsers, scope: scopeWrite}, handle: s.createUser},
		{method: "PUT", path: "/api/v1/users/{name}", summary: "Change a user's role, region or disabled flag (admins)", tag: "users",
			params: []param{{name: "name", in: "path", typ: "string", required: true, desc: "user name"}}, body: "User", response: "User", access: access{perm: backstop.PermManageUsers, scope: scopeWrite}, handle: s.updateUser},
		{method: "POST", path: "/api/v1/users/{name}/tokens", summary: "Create an API token; the secret is shown once", tag: "users",
			params: []param{{name: "name", in: "path", typ: "string", required: true, desc: "user name"}}, body: "NewToken", response: "TokenSecret", status: http.StatusCreated, access: access{scope: scopeWrite}, handle: s.createToken},
		{method: "GET", path: "/api/v1/audit", summary: "The audit trail (auditors, admins)", tag: "audit",
			params: append([]param{
				{name: "actor", in: "query", typ: "string", desc: "user name"},
				{name: "action", in: "query", typ: "string", desc: "e.g. household.update, pii.reveal, roster.export"},
				{name: "entity", in: "query", typ: "string", desc: "e.g. household, user, import"},
				{name: "record", in: "query", typ: "string", desc: "record key"},
			}, pageParams...), response: "AuditList", access: access{perm: backstop.PermReadAudit, scope: scopeNone}, handle: s.listAudit},
	}
}

// policyRoutes are the routes of this file.
func (s *Server) policyRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/policies", summary: "Policy parameters and their versions", tag: "policy",
			params: []param{{name: "key", in: "query", typ: "string", desc: "one key"}}, response: "PolicyList", access: access{scope: scopeNone}, handle: s.listPolicies},
		{method: "POST", path: "/api/v1/policies", summary: "Add a policy version (admins): \"value\" for a number, \"data\" for a structured key (checked against the key's type)", tag: "policy", body: "NewPolicy", response: "Policy", status: http.StatusCreated, access: access{perm: backstop.PermManagePolicy, scope: scopeWrite}, handle: s.createPolicy},
	}
}
