package backstop

import (
	"context"
	"time"
)

// Role is what a user does; with the region scope it decides what the user
// may read and write.
type Role string

const (
	RoleAdmin      Role = "admin"      // everything, users included
	RoleCity       Role = "city"       // city bureau officers
	RoleCounty     Role = "county"     // county bureau officers
	RoleTownship   Role = "township"   // township staff
	RoleVillage    Role = "village"    // village cadres and helpers
	RoleDepartment Role = "department" // meteorology, water, emergency …: warnings, no personal data
	RoleAuditor    Role = "auditor"    // reads the audit trail and the registry, writes nothing
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCity, RoleCounty, RoleTownship, RoleVillage, RoleDepartment, RoleAuditor}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "unknown role %q (known: admin, city, county, township, village, department, auditor)", s)
}

// Permission is one thing a role may do.
type Permission string

const (
	PermReadRegistry  Permission = "registry:read"
	PermWriteRegistry Permission = "registry:write"
	PermRevealPII     Permission = "pii:reveal" // see unmasked ID numbers and phones
	PermExport        Permission = "registry:export"
	PermManageUsers   Permission = "users:manage"
	PermManageRegions Permission = "regions:manage"
	PermReadAudit     Permission = "audit:read"
	PermReadWarnings  Permission = "warnings:read"
	PermWriteWarnings Permission = "warnings:write"   // push, import and draw warnings
	PermConsult       Permission = "warnings:consult" // record consultations
	PermApprove       Permission = "warnings:approve" // approve consultations
	PermManageFeeds   Permission = "feeds:manage"
	PermRelease       Permission = "warnings:release" // targeted releases
	PermConfirm       Permission = "tasks:confirm"    // last-mile confirmations
	PermManageReach   Permission = "reach:manage"     // contacts and message templates
	PermManageChannel Permission = "channels:manage"  // see channel settings, send test messages
	PermManagePolicy  Permission = "policy:manage"    // add policy versions, load the working-day calendar
	// PermResolveQuarantine accepts (with an area given by hand) or
	// dismisses alerts a feed carried that were refused. Admins only:
	// PermManageFeeds is held by department users too, and accepting puts
	// an alert the checks refused before every duty officer.
	PermResolveQuarantine Permission = "quarantine:resolve"
	// Screening (issue 11): events, campaigns and the statistics' entered
	// figures (township and above); loss reports and visits (village and
	// above, disaster information officers among them); verification of
	// loss reports (township and above); intake handling (village and
	// above) and its county approval; department referrals.
	PermScreen        Permission = "screening:manage"
	PermReportLoss    Permission = "losses:report"
	PermVerifyLoss    Permission = "losses:verify"
	PermIntake        Permission = "intake:handle"
	PermIntakeApprove Permission = "intake:approve"
	PermRefer         Permission = "intake:refer"
)

var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermManageUsers, PermManageRegions, PermReadAudit,
		PermReadWarnings, PermWriteWarnings, PermConsult, PermApprove, PermManageFeeds, PermRelease, PermConfirm, PermManageReach, PermManageChannel, PermManagePolicy,
		PermResolveQuarantine, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake, PermIntakeApprove, PermRefer},
	RoleCity: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermReadWarnings, PermWriteWarnings, PermConsult, PermApprove,
		PermRelease, PermConfirm, PermManageReach, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake, PermIntakeApprove},
	RoleCounty: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermReadWarnings, PermWriteWarnings, PermConsult, PermApprove,
		PermRelease, PermConfirm, PermManageReach, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake, PermIntakeApprove},
	RoleTownship:   {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermReadWarnings, PermConfirm, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake},
	RoleVillage:    {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermReadWarnings, PermConfirm, PermReportLoss, PermIntake},
	RoleDepartment: {PermReadRegistry, PermReadWarnings, PermWriteWarnings, PermConsult, PermManageFeeds, PermRefer},
	RoleAuditor:    {PermReadRegistry, PermReadAudit, PermReadWarnings},
}

// User is a person (or a system process) acting in backstop.
type User struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name,omitempty"`
	Role        Role      `json:"role"`
	Region      string    `json:"region"` // 12-digit scope code
	Disabled    bool      `json:"disabled,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// Via says how the user authenticated for this request: "session",
	// "token" or "cli". It goes into the audit trail.
	Via string `json:"-"`
	// Addr is where the request came from (remote address or "cli").
	Addr string `json:"-"`
}

// Can reports whether the user's role grants p.
func (u *User) Can(p Permission) bool {
	if u == nil || u.Disabled {
		return false
	}
	for _, have := range rolePermissions[u.Role] {
		if have == p {
			return true
		}
	}
	return false
}

// InScope reports whether a region code lies inside the user's scope.
func (u *User) InScope(code string) bool {
	return u != nil && len(code) == 12 && CodeWithin(code, u.Region)
}

// Require returns EFORBIDDEN unless the user has p.
func (u *User) Require(p Permission) error {
	if u == nil {
		return Errorf(EUNAUTHORIZED, "Sign in first.")
	}
	if !u.Can(p) {
		return Errorf(EFORBIDDEN, "Your role (%s) does not allow this (%s).", u.Role, p)
	}
	return nil
}

type userKey struct{}

// NewContextWithUser returns a context carrying the acting user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFromContext returns the acting user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

// RequireUser returns the acting user or EUNAUTHORIZED: the stores never
// run a scoped query without one.
func RequireUser(ctx context.Context) (*User, error) {
	u := UserFromContext(ctx)
	if u == nil {
		return nil, Errorf(EUNAUTHORIZED, "Sign in first.")
	}
	return u, nil
}

// Authorize returns the acting user if it has p: EUNAUTHORIZED without a
// user, EFORBIDDEN without the permission. Every use case starts with it.
func Authorize(ctx context.Context, p Permission) (*User, error) {
	u, err := RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	return u, u.Require(p)
}

// CommandLineUser is the actor of CLI commands run by the operator of the
// machine, who already has the database: admin role, whole-country scope.
func CommandLineUser(command string) *User {
	return &User{Name: "cli:" + command, Role: RoleAdmin, Region: "000000000000", Via: "cli", Addr: "cli"}
}

// SystemUser is the actor of background jobs (feed polling, dispatch,
// escalation): admin role, whole-country scope, marked as a job in the
// audit trail.
func SystemUser(job string) *User {
	return &User{Name: "job:" + job, Role: RoleAdmin, Region: NationalScope, Via: "job", Addr: "job"}
}

// Token is an API bearer token of a user. Only its hash is stored.
type Token struct {
	ID        int64      `json:"id"`
	UserName  string     `json:"user"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
}

// UserService manages users, their passwords, sessions and tokens.
type UserService interface {
	FindUser(ctx context.Context, name string) (*User, error)
	FindUsers(ctx context.Context) ([]*User, error)
	// CreateUser stores a user with the password (hashed by the service).
	CreateUser(ctx context.Context, u *User, password string) error
	UpdateUser(ctx context.Context, u *User) error
	SetPassword(ctx context.Context, name, password string) error
	// Authenticate checks a password; a wrong name or password is
	// EUNAUTHORIZED with the same message, so names cannot be probed.
	Authenticate(ctx context.Context, name, password string) (*User, error)
	// CreateSession returns a new session secret for the user.
	CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error)
	// UserBySession returns the user of a live session or EUNAUTHORIZED.
	UserBySession(ctx context.Context, secret string) (*User, error)
	DeleteSession(ctx context.Context, secret string) error
	// CreateToken returns a new bearer token secret; it is shown once.
	CreateToken(ctx context.Context, userName, name string, ttl time.Duration) (string, *Token, error)
	// UserByToken returns the user of a valid token or EUNAUTHORIZED.
	UserByToken(ctx context.Context, secret string) (*User, error)
}

// MinPasswordLength is the shortest password backstop accepts.
const MinPasswordLength = 10
