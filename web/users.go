package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
)

// userRoutes registers the user management pages. Admins manage the users
// of their scope; everyone else reaches only their own page (their tokens
// and password).
func (h *Handler) userRoutes() {
	h.handle("GET /users", h.usersPage)
	h.handle("POST /users", h.createUser)
	h.handle("GET /users/{name}", h.userPage)
	h.handle("POST /users/{name}", h.updateUser)
	h.handle("POST /users/{name}/disable", h.disableUser)
	h.handle("POST /users/{name}/enable", h.enableUser)
	h.handle("POST /users/{name}/password", h.setPassword)
	h.handle("POST /users/{name}/tokens/{id}/revoke", h.revokeToken)
}

// rolesLowestFirst is the order of the role choice: the lowest first, so
// that a new user gets the least unless the admin picks more.
var rolesLowestFirst = []backstop.Role{backstop.RoleInfoOfficer, backstop.RoleVillage, backstop.RoleTownship, backstop.RoleCounty, backstop.RoleCity,
	backstop.RoleDepartment, backstop.RoleAuditor, backstop.RoleAdmin}

// userRegion reads the region an admin gave in a form's cascader: the
// deepest level chosen, or the admin's own region when none is.
func userRegion(r *http.Request, me *backstop.User) (string, error) {
	code, err := pickedRegion(r.PostForm["region"])
	if err != nil || code != "" {
		return code, err
	}
	return me.Region, nil
}

// userRow is a user with its region's name, for lists.
type userRow struct {
	*backstop.User
	RegionName string
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderUsers(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, errMsg string, form url.Values) error {
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("size"))
	if size != 50 && size != 100 {
		size = 20
	}
	p, _ := strconv.Atoi(q.Get("page"))
	p = min(max(p, 1), 1_000_000)
	f := backstop.UserFilter{Query: strings.TrimSpace(q.Get("q")), Role: backstop.Role(q.Get("role")), Limit: size, Offset: (p - 1) * size}
	if f.Role != "" {
		if _, err := backstop.ParseRole(string(f.Role)); err != nil {
			return backstop.Localized(backstop.EINVALID, "角色“%s”无法识别，请从列表中选择", "Unknown role %q: choose one from the list.", f.Role)
		}
	}
	users, total, err := h.cfg.Accounts.Users(r.Context(), f)
	if err != nil {
		return err
	}
	lang := langOf(r)
	rows := make([]userRow, len(users))
	names := map[string]string{}
	for i, u := range users {
		if _, ok := names[u.Region]; !ok {
			names[u.Region] = h.regionName(r.Context(), u.Region, lang)
		}
		rows[i] = userRow{User: u, RegionName: names[u.Region]}
	}
	me := backstop.UserFromContext(r.Context())
	pick, err := h.regionPickerOf(r, "region", form.Get("region"), userPickLevels)
	if err != nil {
		return err
	}
	if form == nil {
		form = url.Values{"role": {string(backstop.RoleVillage)}}
	}
	var notice string
	if name := q.Get("created"); name != "" {
		notice = h.cats[lang].translate("users.created", name)
	}
	data := map[string]any{"Users": rows, "Total": total, "Page": p, "Pages": max((total+size-1)/size, 1), "Offset": f.Offset, "Filter": f, "Size": size,
		"Roles": grantable(me), "AllRoles": rolesLowestFirst, "Pick": pick, "Form": form,
		"Own": h.regionName(r.Context(), me.Region, lang)}
	h.render(w, r, status, "users.html", &page{Title: h.cats[lang].translate("menu.users"), Menu: "users", Error: errMsg, Notice: notice, Data: data})
	return nil
}

// grantable lists the roles the admin may give, lowest first.
func grantable(u *backstop.User) []backstop.Role {
	var out []backstop.Role
	for _, r := range rolesLowestFirst {
		if r.AtMost(u.Role) {
			out = append(out, r)
		}
	}
	return out
}

// readForm parses a small form.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单内容有误或过大", "Bad or oversized form.")
	}
	return nil
}

// shownOnPage tells errors that the page shows beside the form from those
// that become an error page.
func shownOnPage(err error) bool {
	switch backstop.ErrorCode(err) {
	case backstop.EINVALID, backstop.ECONFLICT, backstop.EFORBIDDEN, backstop.ETOOLARGE, backstop.EUNAVAILABLE:
		return true
	}
	return false
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(w, r); err != nil {
		return err
	}
	role := r.PostFormValue("role")
	if role == "" {
		role = string(backstop.RoleVillage)
	}
	region, err := userRegion(r, backstop.UserFromContext(r.Context()))
	if err != nil {
		return err
	}
	u := &backstop.User{Name: strings.TrimSpace(r.PostFormValue("name")), DisplayName: r.PostFormValue("display_name"),
		Role: backstop.Role(role), Region: region}
	if err := h.cfg.Accounts.CreateUser(r.Context(), u, r.PostFormValue("password")); err != nil {
		if shownOnPage(err) {
			form := url.Values{"name": {u.Name}, "display_name": {u.DisplayName}, "role": {role}, "region": {u.Region}}
			return h.renderUsers(w, r, httpx.ErrorStatus(err), h.localError(r, err), form)
		}
		return err
	}
	http.Redirect(w, r, "/users/"+url.PathEscape(u.Name)+"?done=created", http.StatusSeeOther)
	return nil
}

// tokenRow is a token with its state at the time of the page.
type tokenRow struct {
	*backstop.Token
	Active bool
}

func (h *Handler) userPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderUser(w, r, http.StatusOK, "")
}

func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	name := r.PathValue("name")
	u, err := h.cfg.Accounts.User(r.Context(), name)
	if err != nil {
		return err
	}
	me := backstop.UserFromContext(r.Context())
	self := me.Name == u.Name
	manage := me.Can(backstop.PermManageUsers) && me.Manages(u.Role, u.Region)
	tokens, total, err := h.cfg.Accounts.Tokens(r.Context(), name, 100, 0)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]tokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = tokenRow{Token: t, Active: t.Active(now)}
	}
	lang := langOf(r)
	data := map[string]any{"U": u, "RegionName": h.regionName(r.Context(), u.Region, lang), "Self": self, "Manage": manage,
		"Tokens": rows, "TokenTotal": total}
	if manage && !self {
		pick, err := h.regionPickerOf(r, "region", u.Region, userPickLevels)
		if err != nil {
			return err
		}
		data["Pick"], data["Roles"], data["Own"] = pick, grantable(me), h.regionName(r.Context(), me.Region, lang)
	}
	var notice string
	if done := r.URL.Query().Get("done"); done != "" {
		switch done {
		case "created":
			notice = h.cats[lang].translate("users.created", u.Name)
		case "updated", "disabled", "enabled", "password", "revoked":
			notice = h.cats[lang].translate("users.done." + done)
		}
	}
	var crumbs []crumb
	if me.Can(backstop.PermManageUsers) {
		crumbs = append(crumbs, crumb{Label: h.cats[lang].translate("menu.users"), Href: "/users"})
	}
	crumbs = append(crumbs, crumb{Label: u.Name})
	title := u.Name
	if u.DisplayName != "" {
		title = u.DisplayName + "（" + u.Name + "）"
	}
	h.render(w, r, status, "user.html", &page{Title: title, Menu: "users", Crumbs: crumbs, Error: errMsg, Notice: notice, Data: data})
	return nil
}

// afterChange goes back to the user's page: with a notice when the change
// went through, with the error beside the forms when it was refused.
func (h *Handler) afterChange(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if err != nil {
		if shownOnPage(err) {
			return h.renderUser(w, r, httpx.ErrorStatus(err), h.localError(r, err))
		}
		return err
	}
	http.Redirect(w, r, "/users/"+url.PathEscape(r.PathValue("name"))+"?done="+done, http.StatusSeeOther)
	return nil
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(w, r); err != nil {
		return err
	}
	region, err := userRegion(r, backstop.UserFromContext(r.Context()))
	if err != nil {
		return h.afterChange(w, r, err, "updated")
	}
	_, err = h.cfg.Accounts.Change(r.Context(), r.PathValue("name"), func(u *backstop.User) {
		u.DisplayName = r.PostFormValue("display_name")
		if v := r.PostFormValue("role"); v != "" {
			u.Role = backstop.Role(v)
		}
		u.Region = region
	})
	return h.afterChange(w, r, err, "updated")
}

func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request) error {
	_, err := h.cfg.Accounts.SetDisabled(r.Context(), r.PathValue("name"), true)
	return h.afterChange(w, r, err, "disabled")
}

func (h *Handler) enableUser(w http.ResponseWriter, r *http.Request) error {
	_, err := h.cfg.Accounts.SetDisabled(r.Context(), r.PathValue("name"), false)
	return h.afterChange(w, r, err, "enabled")
}

func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(w, r); err != nil {
		return err
	}
	name := r.PathValue("name")
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		return h.renderUser(w, r, http.StatusBadRequest, h.cats[langOf(r)].translate("users.password.mismatch"))
	}
	err := h.cfg.Accounts.SetPassword(r.Context(), name, r.PostFormValue("current"), r.PostFormValue("password"))
	if err == nil && backstop.UserFromContext(r.Context()).Name == name {
		// One's own password changed: every session ended, this one too.
		h.cfg.Auth.Logout(w, r)
		http.Redirect(w, r, "/login?changed=1", http.StatusSeeOther)
		return nil
	}
	return h.afterChange(w, r, err, "password")
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Token")
	if err != nil {
		return err
	}
	return h.afterChange(w, r, h.cfg.Accounts.RevokeToken(r.Context(), r.PathValue("name"), id), "revoked")
}
