package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
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
	q := r.URL.Query()
	f := backstop.UserFilter{Query: q.Get("q"), Role: backstop.Role(q.Get("role")), Region: q.Get("region")}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	users, total, err := s.cfg.Accounts.Users(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(users, total))
	return nil
}

type newUser struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	// Role defaults to village, the lowest: more is a deliberate choice.
	Role     string `json:"role,omitempty"`
	Region   string `json:"region"`
	Password string `json:"password"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in newUser
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Role == "" {
		in.Role = string(backstop.RoleVillage)
	}
	u := &backstop.User{Name: in.Name, DisplayName: in.DisplayName, Role: backstop.Role(in.Role), Region: in.Region}
	if err := s.cfg.Accounts.CreateUser(r.Context(), u, in.Password); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.cfg.Accounts.User(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// userUpdate changes the fields it names and leaves the others.
type userUpdate struct {
	DisplayName *string `json:"display_name,omitempty"`
	Role        *string `json:"role,omitempty"`
	Region      *string `json:"region,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in userUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.cfg.Accounts.Change(r.Context(), r.PathValue("name"), func(u *backstop.User) {
		if in.DisplayName != nil {
			u.DisplayName = *in.DisplayName
		}
		if in.Role != nil {
			u.Role = backstop.Role(*in.Role)
		}
		if in.Region != nil {
			u.Region = *in.Region
		}
		if in.Disabled != nil {
			u.Disabled = *in.Disabled
		}
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// passwordChange sets a password: one's own needs the current one.
type passwordChange struct {
	Current  string `json:"current,omitempty"`
	Password string `json:"password"`
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordChange
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.cfg.Accounts.SetPassword(r.Context(), r.PathValue("name"), in.Current, in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type newToken struct {
	Name string `json:"name"`
	// TTLHours is the token's lifetime, 1 to 8760 hours (a year); 0 or
	// absent means 90 days. Every token expires.
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
	if in.TTLHours < 0 || in.TTLHours > int(backstop.MaxTokenTTL.Hours()) {
		return backstop.Localized(backstop.EINVALID, "ttl_hours 须为 1 到 %d 之间的整数（不设为 90 天），不能是 %d", "ttl_hours must be 1 to %d (absent: 90 days), not %d.", int(backstop.MaxTokenTTL.Hours()), in.TTLHours)
	}
	secret, tok, err := s.cfg.Accounts.CreateToken(r.Context(), r.PathValue("name"), in.Name, time.Duration(in.TTLHours)*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenSecret{Token: tok, Secret: secret})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Accounts.Tokens(r.Context(), r.PathValue("name"), limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Token")
	if err != nil {
		return err
	}
	if err := s.cfg.Accounts.RevokeToken(r.Context(), r.PathValue("name"), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
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

// userRoutes are the routes of this file. Users and tokens: an admin
// manages the users inside its scope (others are not found); everyone may
// read itself, list, make and revoke its own tokens and change its own
// password, so those routes declare no permission: every signed-in user
// may call them for itself, and for another user they need users:manage
// (else 403) and the user inside the caller's scope (else 404). A user
// outside the scope is not found whatever the method (scopeRead), so that
// no answer tells which names exist elsewhere; a region named in the body
// outside the scope is forbidden (403).
func (s *Server) userRoutes() []*route {
	nameParam := param{name: "name", in: "path", typ: "string", required: true, desc: "user name"}
	return []*route{
		{method: "GET", path: "/api/v1/users", summary: "List the users in the admin's scope", tag: "users",
			params: append([]param{
				{name: "q", in: "query", typ: "string", desc: "part of the name or display name"},
				{name: "role", in: "query", typ: "string", desc: "admin, city, county, township, village, department or auditor", values: codes(backstop.Roles)},
				{name: "region", in: "query", typ: "string", format: "region", desc: "region code: users whose scope lies inside it"},
			}, pageParams...), response: "UserList", handle: s.listUsers,
			access: access{perm: backstop.PermManageUsers, scope: scopeNone}},
		{method: "POST", path: "/api/v1/users", summary: "Create a user inside the admin's scope (role defaults to village)", tag: "users", body: "NewUser", response: "User", status: http.StatusCreated, handle: s.createUser,
			access: access{perm: backstop.PermManageUsers, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/users/{name}", summary: "A user: oneself, or one in the admin's scope", tag: "users",
			params: []param{nameParam}, response: "User", handle: s.getUser,
			access: access{scope: scopeRead, others: backstop.PermManageUsers}},
		{method: "PUT", path: "/api/v1/users/{name}", summary: "Change a user's display name, role, region or disabled flag (admins, in scope; fields left out stay)", tag: "users",
			params: []param{nameParam}, body: "UserUpdate", response: "User", handle: s.updateUser,
			access: access{perm: backstop.PermManageUsers, scope: scopeRead}},
		{method: "PUT", path: "/api/v1/users/{name}/password", summary: "Change one's own password (with the current one) or reset a user's (admins, in scope); sessions end and tokens are revoked", tag: "users",
			params: []param{nameParam}, body: "PasswordChange", status: http.StatusNoContent, handle: s.setPassword,
			access: access{scope: scopeRead, others: backstop.PermManageUsers}},
		{method: "POST", path: "/api/v1/users/{name}/tokens", summary: "Create an API token; the secret is shown once", tag: "users",
			params: []param{nameParam}, body: "NewToken", response: "TokenSecret", status: http.StatusCreated, handle: s.createToken,
			access: access{scope: scopeRead, others: backstop.PermManageUsers}},
		{method: "GET", path: "/api/v1/users/{name}/tokens", summary: "A user's API tokens, newest first (never their secrets)", tag: "users",
			params: append([]param{nameParam}, pageParams...), response: "TokenList", handle: s.listTokens,
			access: access{scope: scopeRead, others: backstop.PermManageUsers}},
		{method: "DELETE", path: "/api/v1/users/{name}/tokens/{id}", summary: "Revoke one API token", tag: "users",
			params: []param{nameParam, {name: "id", in: "path", typ: "integer", required: true, desc: "token id"}}, status: http.StatusNoContent, handle: s.revokeToken,
			access: access{scope: scopeRead, others: backstop.PermManageUsers}},
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
