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
	RoleDepartment Role = "department" // meteorology, water, emergency …: warnings, exposure counts and releases; no household or member
	RoleAuditor    Role = "auditor"    // reads the audit trail and the registry, writes nothing
	// RoleInfoOfficer is a disaster information officer (灾害信息员) of a
	// village or township: reports losses from the area of the account's
	// region and reads it, changes nothing else.
	RoleInfoOfficer Role = "info_officer"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCity, RoleCounty, RoleTownship, RoleVillage, RoleDepartment, RoleAuditor, RoleInfoOfficer}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Localized(EINVALID, "没有“%s”这个角色（可选：admin 系统管理员、city 市级、county 县级、township 乡镇、village 村级、department 部门、auditor 审计、info_officer 灾害信息员）",
		"unknown role %q (known: admin, city, county, township, village, department, auditor, info_officer)", s)
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
	// Preparedness (issue 13): reading plans, officers, projects, assets,
	// insurance and publicity; writing plans (counties) and approving them
	// (the city); the officer roster and training; organisations and
	// their members (admins and the city), subscriptions (departments for
	// their organisation), inbound pushes (departments); projects (each
	// step's role decides who does it); assets and the approval of what
	// becomes of a damaged one; insurance; publicity.
	PermReadPrepared    Permission = "prepare:read"
	PermWritePlans      Permission = "plans:write"
	PermApprovePlans    Permission = "plans:approve"
	PermManageOfficers  Permission = "officers:manage"
	PermManageOrgs      Permission = "organisations:manage"
	PermReadSharing     Permission = "sharing:read"
	PermSubscribe       Permission = "sharing:subscribe"
	PermPush            Permission = "sharing:push"
	PermWriteProjects   Permission = "projects:write"
	PermReviewProjects  Permission = "projects:review"
	PermManageAssets    Permission = "assets:manage"
	PermApproveAssets   Permission = "assets:approve"
	PermManageInsurance Permission = "insurance:manage"
	PermManagePublicity Permission = "publicity:manage"
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
	// Cases (issue 12): read cases and measures (village and above, and
	// departments for their measure queues); open cases and do the steps
	// of one's level (village and above); the township review and county
	// approval steps need a role of that level besides.
	PermReadCases    Permission = "cases:read"
	PermManageCases  Permission = "cases:manage"
	PermApproveCases Permission = "cases:approve"
	// PermMeasureQueue reads a measure queue: every case reader, and a
	// department user its own organisation's (measures name the 户编号 and
	// village, never a person's data).
	PermMeasureQueue Permission = "measures:queue"
)

// rolePermissions: departments issue and weigh warnings and see what they
// expose in counts and releases; households and members are not theirs to
// read (no PermReadRegistry).
var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermManageUsers, PermManageRegions, PermReadAudit,
		PermReadWarnings, PermWriteWarnings, PermConsult, PermApprove, PermManageFeeds, PermRelease, PermConfirm, PermManageReach, PermManageChannel, PermManagePolicy,
		PermResolveQuarantine, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake, PermIntakeApprove, PermRefer,
		PermReadPrepared, PermWritePlans, PermApprovePlans, PermManageOfficers, PermManageOrgs, PermReadSharing, PermSubscribe, PermWriteProjects, PermReviewProjects, PermManageAssets, PermApproveAssets,
		PermManageInsurance, PermManagePublicity, PermReadCases, PermManageCases, PermMeasureQueue, PermApproveCases},
	RoleCity: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermReadWarnings, PermWriteWarnings, PermConsult, PermApprove,
		PermRelease, PermConfirm, PermManageReach, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake, PermIntakeApprove,
		PermReadPrepared, PermWritePlans, PermApprovePlans, PermManageOfficers, PermManageOrgs, PermReadSharing, PermSubscribe, PermWriteProjects, PermReviewProjects, PermManageAssets, PermApproveAssets,
		PermManageInsurance, PermManagePublicity, PermReadCases, PermManageCases, PermMeasureQueue, PermApproveCases},
	RoleCounty: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermReadWarnings, PermWriteWarnings, PermConsult, PermApprove,
		PermRelease, PermConfirm, PermManageReach, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake, PermIntakeApprove,
		PermReadPrepared, PermWritePlans, PermManageOfficers, PermReadSharing, PermWriteProjects, PermReviewProjects, PermManageAssets, PermApproveAssets, PermManageInsurance, PermManagePublicity,
		PermReadCases, PermManageCases, PermMeasureQueue, PermApproveCases},
	RoleTownship: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermExport, PermReadWarnings, PermConfirm, PermScreen, PermReportLoss, PermVerifyLoss, PermIntake,
		PermReadPrepared, PermManageOfficers, PermWriteProjects, PermReviewProjects, PermManageAssets, PermManageInsurance, PermManagePublicity,
		PermReadCases, PermManageCases, PermMeasureQueue, PermApproveCases},
	RoleVillage: {PermReadRegistry, PermWriteRegistry, PermRevealPII, PermReadWarnings, PermConfirm, PermReportLoss, PermIntake, PermReadPrepared, PermWriteProjects,
		PermReadCases, PermManageCases, PermMeasureQueue},
	RoleDepartment: {PermReadWarnings, PermWriteWarnings, PermConsult, PermManageFeeds, PermRefer, PermReadSharing, PermSubscribe, PermPush, PermMeasureQueue},
	RoleAuditor:    {PermReadRegistry, PermReadAudit, PermReadWarnings, PermReadPrepared, PermReadSharing, PermReadCases, PermMeasureQueue},
	// A disaster information officer reads the registry of its area (to
	// name the household) and files loss reports there, nothing else.
	RoleInfoOfficer: {PermReadRegistry, PermReadWarnings, PermReportLoss},
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
		return E(EUNAUTHORIZED, "unauthorized")
	}
	if u.Disabled {
		return E(EFORBIDDEN, "forbidden.disabled")
	}
	if !u.Can(p) {
		return E(EFORBIDDEN, "forbidden.role", RoleName(u.Role), PermissionName(p))
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
		return nil, E(EUNAUTHORIZED, "unauthorized")
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

// Active reports whether the token still authenticates at now.
func (t *Token) Active(now time.Time) bool {
	return t.ExpiresAt == nil || t.ExpiresAt.After(now)
}

// Token limits. Every token expires: a leaked one that never did would
// work for as long as the user exists, and nobody would notice. A client
// that runs for years gets a new token once a year.
const (
	DefaultTokenTTL    = 90 * 24 * time.Hour
	MaxTokenTTL        = 365 * 24 * time.Hour
	MaxTokensPerUser   = 20 // active at once
	MaxTokenNameLength = 64
)

// UserFilter selects users: those inside the acting admin's scope, and of
// those the ones that match.
type UserFilter struct {
	Query  string // part of the name or display name
	Role   Role
	Region string // users whose scope lies inside this region
	Offset int
	Limit  int
}

// UserService manages users, their passwords, sessions and tokens. Every
// method that acts on another user checks that the actor manages it
// (User.Manages): a scoped admin reads and changes only the users inside
// its scope and grants no wider region and no higher role than its own.
type UserService interface {
	// FindUser returns a user: oneself, or one the actor manages; any
	// other is not found.
	FindUser(ctx context.Context, name string) (*User, error)
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
	// CreateUser stores a user with the password (hashed by the service).
	CreateUser(ctx context.Context, u *User, password string) error
	// UpdateUser changes a user's display name, role, region and
	// disabled flag; disabling ends the user's sessions and revokes its
	// tokens.
	UpdateUser(ctx context.Context, u *User) error
	// SetPassword sets a password. Changing one's own needs the current
	// password; an admin resets the password of a user it manages without.
	// Either way the user's sessions end and its tokens are revoked.
	SetPassword(ctx context.Context, name, current, password string) error
	// Authenticate checks a password without recording anything; a wrong
	// name or password is EUNAUTHORIZED with the same message, so names
	// cannot be probed. Sign-ins go through SignIn.
	Authenticate(ctx context.Context, name, password string) (*User, error)
	// SignIn checks a password given from addr and starts a session of
	// ttl, writing the audit row of the attempt, success or failure.
	SignIn(ctx context.Context, name, password, addr string, ttl time.Duration) (*User, string, error)
	// CreateSession returns a new session secret for the user.
	CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error)
	// UserBySession returns the user of a live session or EUNAUTHORIZED.
	UserBySession(ctx context.Context, secret string) (*User, error)
	DeleteSession(ctx context.Context, secret string) error
	// CreateToken returns a new bearer token secret; it is shown once. A
	// zero ttl is DefaultTokenTTL; more than MaxTokenTTL is refused.
	CreateToken(ctx context.Context, userName, name string, ttl time.Duration) (string, *Token, error)
	// FindTokens pages a user's tokens, newest first, never their secrets.
	FindTokens(ctx context.Context, userName string, limit, offset int) ([]*Token, int, error)
	// RevokeToken revokes (deletes) one token of the user; the audit
	// trail keeps its name and id.
	RevokeToken(ctx context.Context, userName string, id int64) error
	// UserByToken returns the user of a valid token or EUNAUTHORIZED.
	UserByToken(ctx context.Context, secret string) (*User, error)
}

// The line of command, for managing users: admin > city > county >
// township > village. Department (warning-issuing bureaus) and auditor
// users sit beside the line, not in it: their powers are neither more nor
// less than an officer's, only different, so they rank with nobody but
// themselves and only an admin (above everyone) grants those roles. Since
// every non-admin role is tied to the level of its region, the line is
// also the order of regions: a scoped admin's region limits what it
// grants more than its role does.
var roleRank = map[Role]int{RoleAdmin: 5, RoleCity: 4, RoleCounty: 3, RoleTownship: 2, RoleVillage: 1, RoleInfoOfficer: 1}

// AtMost reports whether r is no higher than other: every role is at
// most admin; on the line, by rank; beside it, only itself.
func (r Role) AtMost(other Role) bool {
	if other == RoleAdmin || r == other {
		return true
	}
	rr, ok1 := roleRank[r]
	ro, ok2 := roleRank[other]
	return ok1 && ok2 && rr <= ro
}

// Manages reports whether u may manage a user of the role in the region:
// u has PermManageUsers, the region lies inside u's scope (a national
// scope only inside a national one) and the role is at most u's.
func (u *User) Manages(role Role, region string) bool {
	if !u.Can(PermManageUsers) || !role.AtMost(u.Role) {
		return false
	}
	return u.Region == NationalScope || (region != NationalScope && len(region) == 12 && CodeWithin(region, u.Region))
}

// roleNamesZH are the roles as the UI names them, for messages.
var roleNamesZH = map[Role]string{RoleAdmin: "系统管理员", RoleCity: "市级", RoleCounty: "县级", RoleTownship: "乡镇",
	RoleVillage: "村级", RoleDepartment: "部门", RoleAuditor: "审计", RoleInfoOfficer: "灾害信息员"}

// NameZH is the role's Chinese name.
func (r Role) NameZH() string {
	if n, ok := roleNamesZH[r]; ok {
		return n
	}
	return string(r)
}

// MinPasswordLength is the shortest password backstop accepts.
const MinPasswordLength = 10
