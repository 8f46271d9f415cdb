package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/zhangye-backstop/backstop"
)

// argon2id parameters: OWASP's recommendation for argon2id (19 MiB, two
// passes, one lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// Password limits. The longest keeps one hash's input small; the login
// form is bounded by its body limit anyway.
const (
	maxPasswordLength = 256 // characters
	maxUserNameLength = 64
	maxDisplayLength  = 64
)

// passwordGate caps the argon2id computations running at once in the
// process: each takes 19 MiB and tens of milliseconds of a core, and 240
// sign-ins at once took the server from 116 MB to 3.7 GB with 14 s
// latency. A few callers may wait briefly for a slot; past that the answer
// is "busy" at once, so that neither memory nor the queue grows with the
// number of attempts. It is per process, not per database, because what
// it protects (memory, cores) is.
type passwordGate struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxWait  int64
	patience time.Duration

	running atomic.Int64
	peak    atomic.Int64
	refused atomic.Int64
}

func newPasswordGate(slots int) *passwordGate {
	return &passwordGate{slots: make(chan struct{}, slots), maxWait: int64(2 * slots), patience: time.Second}
}

var passwords = newPasswordGate(max(2, runtime.GOMAXPROCS(0)))

// errPasswordBusy is the answer when every slot is taken.
func errPasswordBusy() error {
	return backstop.Localized(backstop.EUNAVAILABLE, "服务器正忙于核验其他登录，请几秒后再试", "The server is busy checking other sign-ins; try again in a few seconds.")
}

// run runs fn (one argon2id computation) in a slot.
func (g *passwordGate) run(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.maxWait {
			g.waiting.Add(-1)
			g.refused.Add(1)
			return errPasswordBusy()
		}
		t := time.NewTimer(g.patience)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			g.waiting.Add(-1)
		case <-t.C:
			g.waiting.Add(-1)
			g.refused.Add(1)
			return errPasswordBusy()
		case <-ctx.Done():
			t.Stop()
			g.waiting.Add(-1)
			return errPasswordBusy()
		}
	}
	n := g.running.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	defer func() {
		g.running.Add(-1)
		<-g.slots
	}()
	fn()
	return nil
}

// PasswordHashStats tells how the process's password hashing is loaded.
type PasswordHashStats struct {
	Limit   int   // computations allowed at once
	Running int64 // running now
	Peak    int64 // most ever running at once
	Refused int64 // callers answered "busy"
}

// PasswordHashes reports the password hashing of this process (for
// /metrics and tests).
func PasswordHashes() PasswordHashStats {
	return PasswordHashStats{Limit: cap(passwords.slots), Running: passwords.running.Load(), Peak: passwords.peak.Load(), Refused: passwords.refused.Load()}
}

func hashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var key []byte
	if err := passwords.run(ctx, func() { key = argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen) }); err != nil {
		return "", err
	}
	return encodeHash(salt, key), nil
}

func encodeHash(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is checked against when a user does not exist, so that a
// wrong name costs as much time as a wrong password.
var dummyHash = func() string {
	salt := []byte("backstop-dummy-s")
	return encodeHash(salt, argon2.IDKey([]byte("not a real password at all"), salt, argonTime, argonMemory, argonThreads, argonKeyLen))
}()

// checkPassword compares a password with a stored hash in a slot of the
// gate; the error is only "busy".
func checkPassword(ctx context.Context, encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, nil
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, nil
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || m > 256*1024 || t > 10 || p == 0 || p > 8 || len(want) > 64 {
		return false, nil
	}
	var got []byte
	if err := passwords.run(ctx, func() { got = argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want))) }); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// newSecret returns a random secret and the hash stored for it.
func newSecret(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, secretHash(secret)
}

func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const userColumns = `id, name, display_name, role, region_code, disabled, created_at`

func scanUser(sc interface{ Scan(...any) error }) (*backstop.User, error) {
	var u backstop.User
	var role string
	if err := sc.Scan(&u.ID, &u.Name, &u.DisplayName, &role, &u.Region, &u.Disabled, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.Role = backstop.Role(role)
	return &u, nil
}

// bilingual is an error whose two texts need different arguments.
func bilingual(code, zh, en string) error {
	return &backstop.Error{Code: code, Message: en, ZH: zh}
}

// errUserNotFound is the answer for a user that does not exist and for
// one outside the actor's management alike, so that no answer tells
// which.
func errUserNotFound(name string) error {
	return backstop.Localized(backstop.ENOTFOUND, "没有用户“%s”，或该用户不在您的管辖范围内", "User %s not found in your scope.", name)
}

// FindUser returns a user by name: oneself, or one the actor manages
// (another is not found); without users:manage, only oneself.
func (db *DB) FindUser(ctx context.Context, name string) (*backstop.User, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Name == name {
		return db.userByName(ctx, db.read, name)
	}
	if !actor.Can(backstop.PermManageUsers) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "只能查看自己的账号", "You may see only your own account.")
	}
	return db.managedUser(ctx, db.read, actor, name)
}

func (db *DB) userByName(ctx context.Context, q execer, name string) (*backstop.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, db.q(`SELECT `+userColumns+` FROM users WHERE name = ?`), name))
	if err == sql.ErrNoRows {
		return nil, errUserNotFound(name)
	}
	return u, db.translate(err)
}

// managedUser returns a user the actor manages (its scope and role), or
// the not-found answer.
func (db *DB) managedUser(ctx context.Context, q execer, actor *backstop.User, name string) (*backstop.User, error) {
	if !actor.Can(backstop.PermManageUsers) {
		return nil, errUserNotFound(name)
	}
	query, args := `SELECT `+userColumns+` FROM users WHERE name = ?`, []any{name}
	if actor.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(actor.Region)
		query, args = query+` AND region_code BETWEEN ? AND ?`, append(args, lo, hi)
	}
	u, err := scanUser(q.QueryRowContext(ctx, db.q(query), args...))
	if err == sql.ErrNoRows {
		return nil, errUserNotFound(name)
	} else if err != nil {
		return nil, db.translate(err)
	}
	if !actor.Manages(u.Role, u.Region) {
		return nil, errUserNotFound(name)
	}
	return u, nil
}

// FindUsers pages the users the actor manages: those inside its scope (a
// range predicate on the region code) with a role no higher than its own.
func (db *DB) FindUsers(ctx context.Context, f backstop.UserFilter) ([]*backstop.User, int, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := actor.Require(backstop.PermManageUsers); err != nil {
		return nil, 0, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if actor.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(actor.Region)
		where, args = append(where, "region_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	if f.Region != "" && f.Region != backstop.NationalScope {
		code, err := backstop.NormalizeRegionCode(f.Region)
		if err != nil {
			return nil, 0, err
		}
		lo, hi := backstop.CodeRange(code)
		where, args = append(where, "region_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	var roles []string
	for _, r := range backstop.Roles {
		if r.AtMost(actor.Role) && (f.Role == "" || f.Role == r) {
			roles = append(roles, "?")
			args = append(args, string(r))
		}
	}
	if f.Role != "" {
		if _, err := backstop.ParseRole(string(f.Role)); err != nil {
			return nil, 0, err
		}
	}
	if len(roles) == 0 {
		return []*backstop.User{}, 0, nil
	}
	where = append(where, "role IN ("+strings.Join(roles, ", ")+")")
	if q := strings.TrimSpace(f.Query); q != "" {
		if utf8.RuneCountInString(q) > maxUserNameLength {
			return nil, 0, backstop.Localized(backstop.EINVALID, "查询词最多 %d 个字", "The search text has at most %d characters.", maxUserNameLength)
		}
		like := "%" + escapeLike(q) + "%"
		where, args = append(where, `(name LIKE ? ESCAPE '\' OR display_name LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM users`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+userColumns+` FROM users`+cond+` ORDER BY name LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, db.translate(rows.Err())
}

var levelNamesZH = map[backstop.RegionLevel]string{0: "全国", backstop.LevelProvince: "省", backstop.LevelCity: "市",
	backstop.LevelCounty: "县（区）", backstop.LevelTownship: "乡镇", backstop.LevelVillage: "村"}

// plainText reports whether s has no control characters (names and labels
// are shown in lists and written to logs).
func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// validateUser checks a user's fields and normalises its region code.
func (db *DB) validateUser(ctx context.Context, u *backstop.User) error {
	u.Name = strings.TrimSpace(u.Name)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if u.Name == "" || utf8.RuneCountInString(u.Name) > maxUserNameLength || !plainText(u.Name) || strings.ContainsFunc(u.Name, unicode.IsSpace) || strings.ContainsAny(u.Name, ":/\\?#%") {
		return backstop.Localized(backstop.EINVALID, "用户名须为 1 到 %d 个字符，不含空格、冒号、斜杠、问号、井号、百分号和控制字符", "User name must be 1 to %d characters without spaces, colons, slashes, ?, #, %% or control characters.", maxUserNameLength)
	}
	if utf8.RuneCountInString(u.DisplayName) > maxDisplayLength || !plainText(u.DisplayName) {
		return backstop.Localized(backstop.EINVALID, "显示名最多 %d 个字符，不含控制字符", "Display name has at most %d characters and no control characters.", maxDisplayLength)
	}
	if _, err := backstop.ParseRole(string(u.Role)); err != nil {
		return err
	}
	if strings.TrimSpace(u.Region) == "" {
		return backstop.Localized(backstop.EINVALID, "请选择管辖区划", "Choose the user's region.")
	}
	if u.Region == backstop.NationalScope {
		if u.Role != backstop.RoleAdmin && u.Role != backstop.RoleAuditor {
			return bilingual(backstop.EINVALID, fmt.Sprintf("只有系统管理员和审计用户可以管辖全国，%s用户请选择具体区划", u.Role.NameZH()),
				fmt.Sprintf("Only admins and auditors may have the national scope; a %s user needs a region.", u.Role))
		}
		return nil
	}
	code, err := backstop.NormalizeRegionCode(u.Region)
	if err != nil {
		return backstop.Localized(backstop.EINVALID, "管辖区划代码“%s”须为 2、4、6、9 或 12 位数字", "Region code %q must have 2, 4, 6, 9 or 12 digits.", u.Region)
	}
	u.Region = code
	var one int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT 1 FROM regions WHERE code = ?`), code).Scan(&one); err == sql.ErrNoRows {
		return backstop.Localized(backstop.EINVALID, "区划 %s 不存在，请先导入区划", "Region %s does not exist; import regions first.", code)
	} else if err != nil {
		return db.translate(err)
	}
	want := map[backstop.Role]backstop.RegionLevel{backstop.RoleCity: backstop.LevelCity, backstop.RoleCounty: backstop.LevelCounty, backstop.RoleTownship: backstop.LevelTownship, backstop.RoleVillage: backstop.LevelVillage}
	if lvl, ok := want[u.Role]; ok && backstop.LevelOfCode(code) != lvl {
		have := backstop.LevelOfCode(code)
		return bilingual(backstop.EINVALID, fmt.Sprintf("%s用户的管辖区划须为%s一级，%s 是%s", u.Role.NameZH(), levelNamesZH[lvl], code, levelNamesZH[have]),
			fmt.Sprintf("A %s user needs a %s code, %s is a %s.", u.Role, lvl, code, have))
	}
	return nil
}

// requireGrant refuses a role or region the actor may not give: a wider
// region than its own or a higher role.
func requireGrant(actor *backstop.User, role backstop.Role, region string) error {
	if err := actor.Require(backstop.PermManageUsers); err != nil {
		return err
	}
	if !role.AtMost(actor.Role) {
		return bilingual(backstop.EFORBIDDEN, fmt.Sprintf("您（%s）不能授予比自己高或不在同一序列的角色（%s）", actor.Role.NameZH(), role.NameZH()),
			fmt.Sprintf("You (%s) may not grant a role (%s) above your own or beside it.", actor.Role, role))
	}
	if !actor.Manages(role, region) {
		return backstop.Localized(backstop.EFORBIDDEN, "区划 %s 不在您的管辖范围内，您只能管理本辖区内的用户", "Region %s is outside your scope; you manage only users inside it.", region)
	}
	return nil
}

func checkPasswordRules(password string) error {
	n := utf8.RuneCountInString(password)
	if n < backstop.MinPasswordLength {
		return backstop.Localized(backstop.EINVALID, "密码至少 %d 个字符", "Password must have at least %d characters.", backstop.MinPasswordLength)
	}
	if n > maxPasswordLength || !utf8.ValidString(password) {
		return backstop.Localized(backstop.EINVALID, "密码最多 %d 个字符", "Password has at most %d characters.", maxPasswordLength)
	}
	return nil
}

// CreateUser stores a user with an argon2id hash of the password. The
// actor must manage the new user: its region inside the actor's scope,
// its role no higher.
func (db *DB) CreateUser(ctx context.Context, u *backstop.User, password string) error {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := actor.Require(backstop.PermManageUsers); err != nil {
		return err
	}
	if err := db.validateUser(ctx, u); err != nil {
		return err
	}
	if err := requireGrant(actor, u.Role, u.Region); err != nil {
		return err
	}
	if err := checkPasswordRules(password); err != nil {
		return err
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO users (name, display_name, role, region_code, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Name, u.DisplayName, string(u.Role), u.Region, hash, u.Disabled, now, now).Scan(&u.ID)
		if err != nil {
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Localized(backstop.ECONFLICT, "用户名“%s”已被使用", "User %s exists already.", u.Name)
			}
			return err
		}
		u.CreatedAt = now
		return db.auditIn(ctx, tx, u.Region, "user.create", "user", u.Name, fmt.Sprintf("role %s, region %s", u.Role, u.Region))
	})
}

// UpdateUser changes a user's display name, role, region or disabled
// flag. The actor must manage the user as it is and as it will be; nobody
// changes their own role, region or flag (another admin does), so that
// nobody locks themselves out or widens their own scope. Disabling ends
// the user's sessions and revokes its tokens.
func (db *DB) UpdateUser(ctx context.Context, u *backstop.User) error {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := actor.Require(backstop.PermManageUsers); err != nil {
		return err
	}
	if err := db.validateUser(ctx, u); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := db.managedUser(ctx, tx, actor, u.Name)
		if err != nil {
			return err
		}
		if err := requireGrant(actor, u.Role, u.Region); err != nil {
			return err
		}
		if actor.Name == cur.Name && (u.Role != cur.Role || u.Region != cur.Region || u.Disabled != cur.Disabled) {
			return backstop.Localized(backstop.EFORBIDDEN, "不能更改自己的角色、管辖区划或停用自己，请由其他管理员操作", "You may not change your own role, region or disabled flag; another admin can.")
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE users SET display_name = ?, role = ?, region_code = ?, disabled = ?, updated_at = ? WHERE id = ? AND role = ? AND region_code = ? AND disabled = ?`),
			u.DisplayName, string(u.Role), u.Region, u.Disabled, db.now().UTC(), cur.ID, string(cur.Role), cur.Region, cur.Disabled)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ECONFLICT, "用户“%s”刚被他人修改，请刷新后重试", "User %s was changed meanwhile; reload and try again.", u.Name)
		}
		u.ID, u.CreatedAt = cur.ID, cur.CreatedAt
		var changes []string
		if u.DisplayName != cur.DisplayName {
			changes = append(changes, fmt.Sprintf("display name %q → %q", cur.DisplayName, u.DisplayName))
		}
		if u.Role != cur.Role {
			changes = append(changes, fmt.Sprintf("role %s → %s", cur.Role, u.Role))
		}
		if u.Region != cur.Region {
			changes = append(changes, fmt.Sprintf("region %s → %s", cur.Region, u.Region))
		}
		if u.Disabled != cur.Disabled {
			changes = append(changes, fmt.Sprintf("disabled %t → %t", cur.Disabled, u.Disabled))
		}
		if u.Disabled {
			// A disabled user's sessions end now and its tokens stop for
			// good: enabling it again does not bring them back.
			n, err := db.endCredentials(ctx, tx, cur.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				changes = append(changes, fmt.Sprintf("%d token(s) revoked", n))
			}
		}
		if len(changes) == 0 {
			changes = append(changes, "no change")
		}
		return db.auditIn(ctx, tx, u.Region, "user.update", "user", u.Name, strings.Join(changes, "; "))
	})
}

// endCredentials ends a user's sessions and deletes its tokens; it returns
// how many tokens there were.
func (db *DB) endCredentials(ctx context.Context, tx *sql.Tx, userID int64) (int64, error) {
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ?`), userID); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, db.q(`DELETE FROM tokens WHERE user_id = ?`), userID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// SetPassword sets a password: one's own with the current one, or, for
// an admin, that of a user it manages. The user's sessions end and its
// tokens are revoked: whoever knew the old password may have made them.
func (db *DB) SetPassword(ctx context.Context, name, current, password string) error {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	var target *backstop.User
	self := actor.Name == name
	if self {
		var hash string
		target, err = scanUserWithHash(db.read.QueryRowContext(ctx, db.q(`SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`), name), &hash)
		if err == sql.ErrNoRows {
			return errUserNotFound(name)
		} else if err != nil {
			return db.translate(err)
		}
		ok, err := checkPassword(ctx, hash, current)
		if err != nil {
			return err
		}
		if !ok {
			return backstop.Localized(backstop.EINVALID, "当前密码不正确", "The current password is wrong.")
		}
	} else {
		if !actor.Can(backstop.PermManageUsers) {
			return backstop.Localized(backstop.EFORBIDDEN, "只能修改自己的密码", "You may change only your own password.")
		}
		if target, err = db.managedUser(ctx, db.read, actor, name); err != nil {
			return err
		}
	}
	if err := checkPasswordRules(password); err != nil {
		return err
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND role = ? AND region_code = ?`),
			hash, db.now().UTC(), target.ID, string(target.Role), target.Region)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ECONFLICT, "用户“%s”刚被他人修改，请刷新后重试", "User %s was changed meanwhile; reload and try again.", name)
		}
		n, err := db.endCredentials(ctx, tx, target.ID)
		if err != nil {
			return err
		}
		how := "reset"
		if self {
			how = "changed by the user"
		}
		return db.auditIn(ctx, tx, target.Region, "user.password", "user", name, fmt.Sprintf("%s; %d token(s) revoked", how, n))
	})
}

// verify checks a name and password; reason says why a check failed
// ("unknown user", "wrong password", "user disabled"). The only error is a
// database or busy one: the attempt was not checked.
func (db *DB) verify(ctx context.Context, name, password string) (u *backstop.User, reason string, err error) {
	var hash string
	u, err = scanUserWithHash(db.read.QueryRowContext(ctx, db.q(`SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`), name), &hash)
	if err == sql.ErrNoRows {
		if _, err := checkPassword(ctx, dummyHash, password); err != nil {
			return nil, "", err
		}
		return nil, "unknown user", nil
	} else if err != nil {
		return nil, "", db.translate(err)
	}
	ok, err := checkPassword(ctx, hash, password)
	if err != nil {
		return nil, "", err
	}
	switch {
	case !ok:
		return u, "wrong password", nil
	case u.Disabled:
		return u, "user disabled", nil
	}
	return u, "", nil
}

func errWrongPassword() error {
	return backstop.Localized(backstop.EUNAUTHORIZED, "用户名或密码错误", "Wrong user name or password.")
}

// Authenticate checks a name and password and records nothing (tests and
// the CLI; sign-ins go through SignIn).
func (db *DB) Authenticate(ctx context.Context, name, password string) (*backstop.User, error) {
	u, reason, err := db.verify(ctx, name, password)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		return nil, errWrongPassword()
	}
	return u, nil
}

// AnonymousActor is the actor of audit rows of failed sign-ins: nobody
// was authenticated.
const AnonymousActor = "anonymous"

// auditName is a name as a client gave it, made safe to store: at most 64
// characters, valid UTF-8, control characters replaced.
func auditName(name string) string {
	name = strings.ToValidUTF8(name, "?")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > maxUserNameLength {
		name = string([]rune(name)[:maxUserNameLength]) + "…"
	}
	return name
}

// SignIn checks a password given from addr and starts a session: the
// session and the audit row of the sign-in commit together. A failed
// attempt writes its audit row too (anonymous actor, the name as given,
// truncated, the reason); callers limit attempts before they get here, so
// that the rows grow no faster than the limits allow.
func (db *DB) SignIn(ctx context.Context, name, password, addr string, ttl time.Duration) (*backstop.User, string, error) {
	u, reason, err := db.verify(ctx, name, password)
	if err != nil {
		return nil, "", err
	}
	if reason != "" {
		who := &backstop.User{Name: AnonymousActor, Region: backstop.NationalScope, Via: "password", Addr: addr}
		if u != nil {
			// Attempts at a real user are in its region, for scoped
			// auditors.
			who.Region = u.Region
		}
		if err := db.audit(backstop.NewContextWithUser(ctx, who), db.write, "user.signin_failed", "user", auditName(name), reason); err != nil {
			return nil, "", db.translate(err)
		}
		return nil, "", errWrongPassword()
	}
	u.Via, u.Addr = "session", addr
	secret, hash := newSecret("")
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO sessions (secret_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`), hash, u.ID, now, now.Add(ttl)); err != nil {
			return err
		}
		return db.auditIn(backstop.NewContextWithUser(ctx, u), tx, u.Region, "user.signin", "user", u.Name, "")
	})
	if err != nil {
		return nil, "", err
	}
	db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE expires_at < ?`), now)
	return u, secret, nil
}

func scanUserWithHash(row *sql.Row, hash *string) (*backstop.User, error) {
	var u backstop.User
	var role string
	if err := row.Scan(&u.ID, &u.Name, &u.DisplayName, &role, &u.Region, &u.Disabled, &u.CreatedAt, hash); err != nil {
		return nil, err
	}
	u.Role = backstop.Role(role)
	return &u, nil
}

// CreateSession starts a session and returns its secret (for the cookie).
func (db *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	secret, hash := newSecret("")
	now := db.now().UTC()
	_, err := db.write.ExecContext(ctx, db.q(`INSERT INTO sessions (secret_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`), hash, userID, now, now.Add(ttl))
	if err != nil {
		return "", db.translate(err)
	}
	// Sweep expired sessions now and then, on the way.
	db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE expires_at < ?`), now)
	return secret, nil
}

// UserBySession returns the user of a live session.
func (db *DB) UserBySession(ctx context.Context, secret string) (*backstop.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(`SELECT u.id, u.name, u.display_name, u.role, u.region_code, u.disabled, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = ? AND s.expires_at > ? AND NOT u.disabled`),
		secretHash(secret), db.now().UTC()))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.EUNAUTHORIZED, "登录已失效，请重新登录", "Your session has ended; sign in again.")
	} else if err != nil {
		return nil, db.translate(err)
	}
	u.Via = "session"
	return u, nil
}

// DeleteSession ends a session (logout).
func (db *DB) DeleteSession(ctx context.Context, secret string) error {
	_, err := db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE secret_hash = ?`), secretHash(secret))
	return db.translate(err)
}

// TokenPrefix starts every API token, so that a leaked one is recognisable
// by secret scanners.
const TokenPrefix = "bst_"

// MinTokenTTL is the shortest token lifetime: less is a typo.
const MinTokenTTL = time.Hour

// tokenOwner returns the user whose tokens the actor asks about: itself,
// or one it manages. Asking about someone else without the permission is
// forbidden (it says nothing about who exists); a managed-looking name
// outside the scope is not found.
func (db *DB) tokenOwner(ctx context.Context, actor *backstop.User, userName string) (*backstop.User, error) {
	if actor.Name == userName {
		return db.userByName(ctx, db.read, userName)
	}
	if !actor.Can(backstop.PermManageUsers) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "只能查看和管理自己的令牌", "You may see and manage only your own tokens.")
	}
	return db.managedUser(ctx, db.read, actor, userName)
}

// CreateToken issues a bearer token for a user: oneself, or a user the
// admin manages. Every token expires: ttl 0 is DefaultTokenTTL, and less
// than an hour or more than MaxTokenTTL is refused. Expired tokens of the
// user are swept first, and at most MaxTokensPerUser are active at once.
func (db *DB) CreateToken(ctx context.Context, userName, name string, ttl time.Duration) (string, *backstop.Token, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return "", nil, err
	}
	if actor.Name != userName && !actor.Can(backstop.PermManageUsers) {
		return "", nil, backstop.Localized(backstop.EFORBIDDEN, "只能为自己创建令牌", "You may create tokens only for yourself.")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "api"
	}
	if utf8.RuneCountInString(name) > backstop.MaxTokenNameLength || !plainText(name) {
		return "", nil, backstop.Localized(backstop.EINVALID, "令牌名称最多 %d 个字符，不含控制字符", "Token name has at most %d characters and no control characters.", backstop.MaxTokenNameLength)
	}
	switch {
	case ttl == 0:
		ttl = backstop.DefaultTokenTTL
	case ttl < MinTokenTTL || ttl > backstop.MaxTokenTTL:
		return "", nil, backstop.Localized(backstop.EINVALID, "令牌有效期须在 1 小时到 %d 天（%d 小时）之间，不能是 %s；不设则为 %d 天",
			"A token's lifetime must be 1 hour to %d days (%d hours), not %s; without one it is %d days.",
			int(backstop.MaxTokenTTL.Hours()/24), int(backstop.MaxTokenTTL.Hours()), ttl, int(backstop.DefaultTokenTTL.Hours()/24))
	}
	u, err := db.tokenOwner(ctx, actor, userName)
	if err != nil {
		return "", nil, err
	}
	if u.Disabled {
		return "", nil, backstop.Localized(backstop.EINVALID, "用户“%s”已停用，不能创建令牌", "User %s is disabled; it gets no tokens.", userName)
	}
	secret, hash := newSecret(TokenPrefix)
	now := db.now().UTC()
	expires := now.Add(ttl)
	t := &backstop.Token{UserName: userName, Name: name, CreatedAt: now, ExpiresAt: &expires}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM tokens WHERE user_id = ? AND (expires_at <= ? OR (expires_at IS NULL AND created_at <= ?))`), u.ID, now, now.Add(-backstop.MaxTokenTTL)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM tokens WHERE user_id = ?`), u.ID).Scan(&n); err != nil {
			return err
		}
		if n >= backstop.MaxTokensPerUser {
			return backstop.Localized(backstop.ETOOLARGE, "用户“%s”已有 %d 个有效令牌（上限 %d 个），请先吊销不用的令牌", "User %s has %d active tokens (at most %d); revoke one first.", userName, n, backstop.MaxTokensPerUser)
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO tokens (user_id, name, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`), u.ID, name, hash, now, expires).Scan(&t.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, u.Region, "token.create", "user", userName, fmt.Sprintf("token %d %q, expires %s", t.ID, name, expires.In(backstop.Beijing).Format("2006-01-02 15:04")))
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

func (db *DB) scanToken(sc interface{ Scan(...any) error }, userName string) (*backstop.Token, error) {
	t := &backstop.Token{UserName: userName}
	var expires, used sql.NullTime
	if err := sc.Scan(&t.ID, &t.Name, &t.CreatedAt, &expires, &used); err != nil {
		return nil, err
	}
	if expires.Valid {
		t.ExpiresAt = &expires.Time
	} else {
		// Made before every token had to expire: it ends a year after
		// it was made (UserByToken holds the same rule).
		e := t.CreatedAt.Add(backstop.MaxTokenTTL)
		t.ExpiresAt = &e
	}
	if used.Valid {
		t.LastUsed = &used.Time
	}
	return t, nil
}

// FindTokens pages a user's tokens, newest first: their names, dates and
// last use, never a secret (only hashes are stored).
func (db *DB) FindTokens(ctx context.Context, userName string, limit, offset int) ([]*backstop.Token, int, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	u, err := db.tokenOwner(ctx, actor, userName)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM tokens WHERE user_id = ?`), u.ID).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, name, created_at, expires_at, last_used FROM tokens WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`), u.ID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Token{}
	for rows.Next() {
		t, err := db.scanToken(rows, u.Name)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, db.translate(rows.Err())
}

// RevokeToken deletes one of a user's tokens: it stops working at once.
// The audit row keeps which token it was.
func (db *DB) RevokeToken(ctx context.Context, userName string, id int64) error {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	u, err := db.tokenOwner(ctx, actor, userName)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, db.q(`SELECT name FROM tokens WHERE id = ? AND user_id = ?`), id, u.ID).Scan(&name)
		if err == sql.ErrNoRows {
			return backstop.Localized(backstop.ENOTFOUND, "用户“%s”没有编号为 %d 的令牌（可能已被吊销）", "User %s has no token %d (it may have been revoked).", userName, id)
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM tokens WHERE id = ? AND user_id = ?`), id, u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ENOTFOUND, "用户“%s”没有编号为 %d 的令牌（可能已被吊销）", "User %s has no token %d (it may have been revoked).", userName, id)
		}
		return db.auditIn(ctx, tx, u.Region, "token.revoke", "user", userName, fmt.Sprintf("token %d %q", id, name))
	})
}

// lastUsedEvery is how often a token's last use is written: once a minute
// tells an admin which tokens are alive without a write per request.
const lastUsedEvery = time.Minute

// UserByToken returns the user of a valid bearer token: not expired, not
// revoked, its user not disabled.
func (db *DB) UserByToken(ctx context.Context, secret string) (*backstop.User, error) {
	invalid := backstop.Localized(backstop.EUNAUTHORIZED, "API 令牌无效、已过期或已被吊销", "Invalid, expired or revoked API token.")
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return nil, invalid
	}
	now := db.now().UTC()
	var tokenID int64
	var used sql.NullTime
	var u backstop.User
	var role string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT u.id, u.name, u.display_name, u.role, u.region_code, u.disabled, u.created_at, t.id, t.last_used FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.secret_hash = ? AND (t.expires_at > ? OR (t.expires_at IS NULL AND t.created_at > ?)) AND NOT u.disabled`),
		secretHash(secret), now, now.Add(-backstop.MaxTokenTTL)).Scan(&u.ID, &u.Name, &u.DisplayName, &role, &u.Region, &u.Disabled, &u.CreatedAt, &tokenID, &used)
	if err == sql.ErrNoRows {
		return nil, invalid
	} else if err != nil {
		return nil, db.translate(err)
	}
	u.Role = backstop.Role(role)
	if !used.Valid || now.Sub(used.Time) >= lastUsedEvery {
		// Best effort: a failed write must not fail the request.
		// The condition keeps concurrent requests of one token to one
		// write a minute.
		db.write.ExecContext(context.WithoutCancel(ctx), db.q(`UPDATE tokens SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used < ?)`), now, tokenID, now.Add(-lastUsedEvery))
	}
	u.Via = "token"
	return &u, nil
}

// EnsureAdmin creates the user admin when no admin exists yet. It returns
// the password it set when it generated one (to be printed once).
func (db *DB) EnsureAdmin(ctx context.Context, password string) (generated string, err error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&n); err != nil {
		return "", db.translate(err)
	}
	if n > 0 {
		return "", nil
	}
	if password == "" {
		b := make([]byte, 12)
		rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	}
	ctx = backstop.NewContextWithUser(ctx, backstop.CommandLineUser("first-start"))
	err = db.CreateUser(ctx, &backstop.User{Name: "admin", DisplayName: "系统管理员", Role: backstop.RoleAdmin, Region: backstop.NationalScope}, password)
	if backstop.ErrorCode(err) == backstop.ECONFLICT {
		return "", nil // another process was first
	}
	return generated, err
}
