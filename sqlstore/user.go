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
	"strings"
	"time"

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

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is checked against when a user does not exist, so that a
// wrong name costs as much time as a wrong password.
var dummyHash, _ = hashPassword("not a real password at all")

func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
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

// FindUser returns a user by name. Users may look themselves up; admins
// anyone.
func (db *DB) FindUser(ctx context.Context, name string) (*backstop.User, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Name != name && !actor.Can(backstop.PermManageUsers) {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "User %s not found.", name)
	}
	return db.userByName(ctx, name)
}

func (db *DB) userByName(ctx context.Context, name string) (*backstop.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(`SELECT `+userColumns+` FROM users WHERE name = ?`), name))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "User %s not found.", name)
	}
	return u, db.translate(err)
}

// FindUsers lists every user (admins only).
func (db *DB) FindUsers(ctx context.Context) ([]*backstop.User, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(backstop.PermManageUsers); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (db *DB) validateUser(ctx context.Context, u *backstop.User) error {
	if u.Name == "" || len(u.Name) > 64 || strings.ContainsAny(u.Name, " \t\r\n:/") {
		return backstop.Errorf(backstop.EINVALID, "User name must be 1 to 64 characters without spaces, colons or slashes.")
	}
	if _, err := backstop.ParseRole(string(u.Role)); err != nil {
		return err
	}
	if u.Region == backstop.NationalScope {
		if u.Role != backstop.RoleAdmin && u.Role != backstop.RoleAuditor {
			return backstop.Errorf(backstop.EINVALID, "Only admins and auditors may have the national scope; give a region code.")
		}
		return nil
	}
	code, err := backstop.NormalizeRegionCode(u.Region)
	if err != nil {
		return err
	}
	u.Region = code
	var one int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT 1 FROM regions WHERE code = ?`), code).Scan(&one); err == sql.ErrNoRows {
		return backstop.Errorf(backstop.EINVALID, "Region %s does not exist; import regions first.", code)
	} else if err != nil {
		return db.translate(err)
	}
	want := map[backstop.Role]backstop.RegionLevel{backstop.RoleCity: backstop.LevelCity, backstop.RoleCounty: backstop.LevelCounty, backstop.RoleTownship: backstop.LevelTownship, backstop.RoleVillage: backstop.LevelVillage}
	if lvl, ok := want[u.Role]; ok && backstop.LevelOfCode(code) != lvl {
		return backstop.Errorf(backstop.EINVALID, "A %s user needs a %s code, %s is a %s.", u.Role, lvl, code, backstop.LevelOfCode(code))
	}
	return nil
}

// CreateUser stores a user with an argon2id hash of the password.
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
	if len([]rune(password)) < backstop.MinPasswordLength {
		return backstop.Errorf(backstop.EINVALID, "Password must have at least %d characters.", backstop.MinPasswordLength)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO users (name, display_name, role, region_code, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Name, u.DisplayName, string(u.Role), u.Region, hash, u.Disabled, now, now).Scan(&u.ID)
		if err != nil {
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Errorf(backstop.ECONFLICT, "User %s exists already.", u.Name)
			}
			return err
		}
		u.CreatedAt = now
		return db.audit(ctx, tx, "user.create", "user", u.Name, fmt.Sprintf("role %s, region %s", u.Role, u.Region))
	})
}

// UpdateUser changes a user's display name, role, region or disabled flag.
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
		res, err := tx.ExecContext(ctx, db.q(`UPDATE users SET display_name = ?, role = ?, region_code = ?, disabled = ?, updated_at = ? WHERE name = ?`),
			u.DisplayName, string(u.Role), u.Region, u.Disabled, db.now().UTC(), u.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Errorf(backstop.ENOTFOUND, "User %s not found.", u.Name)
		}
		if u.Disabled {
			// A disabled user's sessions end now.
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)`), u.Name); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "user.update", "user", u.Name, fmt.Sprintf("role %s, region %s, disabled %t", u.Role, u.Region, u.Disabled))
	})
}

// SetPassword changes a password: one's own, or anyone's for an admin.
func (db *DB) SetPassword(ctx context.Context, name, password string) error {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if actor.Name != name && !actor.Can(backstop.PermManageUsers) {
		return backstop.Errorf(backstop.EFORBIDDEN, "You may change only your own password.")
	}
	if len([]rune(password)) < backstop.MinPasswordLength {
		return backstop.Errorf(backstop.EINVALID, "Password must have at least %d characters.", backstop.MinPasswordLength)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?`), hash, db.now().UTC(), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Errorf(backstop.ENOTFOUND, "User %s not found.", name)
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)`), name); err != nil {
			return err
		}
		return db.audit(ctx, tx, "user.password", "user", name, "")
	})
}

// Authenticate checks a name and password.
func (db *DB) Authenticate(ctx context.Context, name, password string) (*backstop.User, error) {
	var hash string
	u, err := scanUserWithHash(db.read.QueryRowContext(ctx, db.q(`SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`), name), &hash)
	if err == sql.ErrNoRows {
		checkPassword(dummyHash, password)
		return nil, backstop.Errorf(backstop.EUNAUTHORIZED, "Wrong user name or password.")
	} else if err != nil {
		return nil, db.translate(err)
	}
	if !checkPassword(hash, password) || u.Disabled {
		return nil, backstop.Errorf(backstop.EUNAUTHORIZED, "Wrong user name or password.")
	}
	return u, nil
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
		return nil, backstop.Errorf(backstop.EUNAUTHORIZED, "Your session has ended; sign in again.")
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

// CreateToken issues a bearer token for a user; admins for anyone, users
// for themselves.
func (db *DB) CreateToken(ctx context.Context, userName, name string, ttl time.Duration) (string, *backstop.Token, error) {
	actor, err := backstop.RequireUser(ctx)
	if err != nil {
		return "", nil, err
	}
	if actor.Name != userName && !actor.Can(backstop.PermManageUsers) {
		return "", nil, backstop.Errorf(backstop.EFORBIDDEN, "You may create tokens only for yourself.")
	}
	u, err := db.userByName(ctx, userName)
	if err != nil {
		return "", nil, err
	}
	secret, hash := newSecret(TokenPrefix)
	now := db.now().UTC()
	t := &backstop.Token{UserName: userName, Name: name, CreatedAt: now}
	var expires any
	if ttl > 0 {
		e := now.Add(ttl)
		t.ExpiresAt, expires = &e, e
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO tokens (user_id, name, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`), u.ID, name, hash, now, expires).Scan(&t.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "token.create", "user", userName, name)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// UserByToken returns the user of a valid bearer token.
func (db *DB) UserByToken(ctx context.Context, secret string) (*backstop.User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, backstop.Errorf(backstop.EUNAUTHORIZED, "Invalid API token.")
	}
	now := db.now().UTC()
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(`SELECT u.id, u.name, u.display_name, u.role, u.region_code, u.disabled, u.created_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = ? AND (t.expires_at IS NULL OR t.expires_at > ?) AND NOT u.disabled`),
		secretHash(secret), now))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.EUNAUTHORIZED, "Invalid API token.")
	} else if err != nil {
		return nil, db.translate(err)
	}
	u.Via = "token"
	return u, nil
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
