package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// bumpRev advances the registry revision inside tx and returns it. On
// PostgreSQL the row lock it takes orders registry writers, so that revs
// become visible in increasing order.
func (db *DB) bumpRev(ctx context.Context, ex execer) (int64, error) {
	var rev int64
	err := ex.QueryRowContext(ctx, `UPDATE registry_rev SET rev = rev + 1 WHERE id = 1 RETURNING rev`).Scan(&rev)
	return rev, err
}

// monitoringLine returns the line used to derive the low-income group for
// households in region, and the policy version (0 when none applies).
func (db *DB) monitoringLine(ctx context.Context, region string) (float64, int64, error) {
	p, err := db.PolicyAt(ctx, backstop.PolicyMonitoringLine, region, db.now())
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, err
	}
	return p.Value, p.ID, nil
}

// checkWritable returns EFORBIDDEN unless the user may write households in
// the village.
func checkWritable(u *backstop.User, village string) error {
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return err
	}
	if !u.InScope(village) {
		return backstop.OutsideRegion(u, "村"+village, "village "+village)
	}
	return nil
}

// checkNumberWritable: household and person numbers start with their
// village's 12-digit code, so a write names its region by the number.
// Outside the user's region it is refused before anything is looked up,
// and answers the same whether or not the number exists. A number stored
// under another region's village although it starts with one of the
// user's (data from before this rule) answers the same too.
func checkNumberWritable(u *backstop.User, number string, person bool) error {
	if u.Region == backstop.NationalScope || (len(number) >= 12 && u.InScope(number[:12])) {
		return nil
	}
	return numberOutside(u, number, person)
}

func numberOutside(u *backstop.User, number string, person bool) error {
	what, whatZH := "household number", "户编号"
	if person {
		what, whatZH = "person number", "人编号"
	}
	return &backstop.Error{Code: backstop.EFORBIDDEN,
		ZH:      fmt.Sprintf("%s%s不在您的管辖范围（%s）内：编号以所在村的12位区划代码开头", whatZH, number, u.Region),
		Message: fmt.Sprintf("The %s %s is outside your region %s: numbers start with their village's 12-digit code.", what, number, u.Region)}
}

func (db *DB) requireVillage(ctx context.Context, ex execer, code string) error {
	var level int
	err := ex.QueryRowContext(ctx, db.q(`SELECT level FROM regions WHERE code = ?`), code).Scan(&level)
	if err == sql.ErrNoRows || (err == nil && level != int(backstop.LevelVillage)) {
		return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("Village %s does not exist.", code),
			Details: []backstop.Problem{{Path: "village_code", Reason: "unknown village " + code}}}
	}
	return err
}

// insertOrUpdateHousehold writes the household row; it returns the id.
func (db *DB) writeHouseholdRow(ctx context.Context, tx *sql.Tx, h *backstop.Household, rev int64, line float64) (int64, error) {
	now := db.now().UTC()
	groups := deriveFromMembers(h, h.Members, h.DeriveGroups(line))
	vals := householdValues(h, groups, rev, now)
	set := make([]string, 0, len(householdWriteColumns))
	for _, c := range householdWriteColumns {
		if c != "number" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, db.q(`INSERT INTO households (`+strings.Join(householdWriteColumns, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(vals)-1)+`)
 ON CONFLICT (number) DO UPDATE SET `+strings.Join(set, ", ")+`, version = households.version + 1, deleted = FALSE RETURNING id`), vals...).Scan(&id)
	return id, err
}

func (db *DB) writeMemberRow(ctx context.Context, tx *sql.Tx, householdID int64, m *backstop.Member) error {
	now := db.now().UTC()
	vals := append([]any{householdID}, memberValues(m, now)...)
	set := []string{"household_id = excluded.household_id"}
	for _, c := range memberWriteColumns {
		if c != "number" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO members (household_id, `+strings.Join(memberWriteColumns, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(vals)-1)+`)
 ON CONFLICT (number) DO UPDATE SET `+strings.Join(set, ", ")+`, version = members.version + 1`), vals...)
	return err
}

// refreshHouseholds recomputes what households derive from their members
// (people, head, youngest birth date, disability) for the households whose
// ids idsSQL selects, and stamps them with rev. Two statements: the first
// resets households left without members, the second aggregates.
func (db *DB) refreshHouseholds(ctx context.Context, ex execer, idsSQL string, args []any, rev int64) error {
	dis := int64(backstop.GroupDisability)
	if _, err := ex.ExecContext(ctx, db.q(`UPDATE households SET people = 0, youngest_birth = '', head_name = '', groups = groups & ?, rev = ?
 WHERE id IN (`+idsSQL+`)`), append([]any{^dis, rev}, args...)...); err != nil {
		return err
	}
	_, err := ex.ExecContext(ctx, db.q(`UPDATE households SET people = a.n, youngest_birth = a.yb, head_name = a.head, groups = households.groups | a.dis
 FROM (SELECT m.household_id, count(*) AS n, COALESCE(max(m.birth_date), '') AS yb,
        max(CASE WHEN m.disabled THEN ? ELSE 0 END) AS dis,
        COALESCE(min(CASE WHEN m.relation = '户主' THEN m.name END), min(m.name)) AS head
       FROM members m WHERE m.household_id IN (`+idsSQL+`) GROUP BY m.household_id) AS a
 WHERE households.id = a.household_id`), append([]any{dis}, args...)...)
	if err != nil {
		return err
	}
	return db.applyLocalDecisions(ctx, ex, "id IN ("+idsSQL+")", args)
}

func (db *DB) history(ctx context.Context, ex execer, householdID int64, action, detail string) error {
	u := backstop.UserFromContext(ctx)
	_, err := ex.ExecContext(ctx, db.q(`INSERT INTO household_history (household_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)`),
		householdID, db.now().UTC(), u.Name, action, detail)
	return err
}

// CreateHousehold stores a new household with its members.
func (db *DB) CreateHousehold(ctx context.Context, h *backstop.Household) error {
	return db.saveHousehold(ctx, h, true)
}

// UpdateHousehold replaces the household-level fields (and, when given,
// upserts the members).
func (db *DB) UpdateHousehold(ctx context.Context, h *backstop.Household) error {
	return db.saveHousehold(ctx, h, false)
}

func (db *DB) saveHousehold(ctx context.Context, h *backstop.Household, create bool) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := h.Validate(); err != nil {
		return err
	}
	if err := checkWritable(u, h.VillageCode); err != nil {
		return err
	}
	if err := checkNumberWritable(u, h.Number, false); err != nil {
		return err
	}
	for _, m := range h.Members {
		if err := checkNumberWritable(u, m.Number, true); err != nil {
			return err
		}
	}
	line, _, err := db.monitoringLine(ctx, h.VillageCode)
	if err != nil {
		return err
	}
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.requireVillage(ctx, tx, h.VillageCode); err != nil {
			return err
		}
		var existingVillage string
		var deleted bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT village_code, deleted FROM households WHERE number = ?`), h.Number).Scan(&existingVillage, &deleted)
		switch {
		case err == sql.ErrNoRows && !create:
			return backstop.Localized(backstop.ENOTFOUND, "找不到户%s", "Household %s not found.", h.Number)
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		case !u.InScope(existingVillage):
			return numberOutside(u, h.Number, false)
		case create && !deleted:
			return backstop.Localized(backstop.ECONFLICT, "户编号%s已存在", "Household %s exists already.", h.Number)
		case !create && deleted:
			return backstop.Localized(backstop.ENOTFOUND, "找不到户%s", "Household %s not found.", h.Number)
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		id, err := db.writeHouseholdRow(ctx, tx, h, rev, line)
		if err != nil {
			return err
		}
		for _, m := range h.Members {
			m.HouseholdNumber = h.Number
			if err := db.checkMemberMove(ctx, tx, u, m.Number, id); err != nil {
				return err
			}
			if err := db.writeMemberRow(ctx, tx, id, m); err != nil {
				return err
			}
		}
		if err := db.refreshHouseholds(ctx, tx, "?", []any{id}, rev); err != nil {
			return err
		}
		action := "household.update"
		if create {
			action = "household.create"
		}
		if err := db.history(ctx, tx, id, action, fmt.Sprintf("%d member(s) given", len(h.Members))); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, h.VillageCode, action, "household", h.Number, "")
	})
}

// checkMemberMove refuses to take a person number that belongs to a
// household outside the user's scope.
func (db *DB) checkMemberMove(ctx context.Context, tx *sql.Tx, u *backstop.User, memberNumber string, householdID int64) error {
	var hid int64
	var village string
	err := tx.QueryRowContext(ctx, db.q(`SELECT h.id, h.village_code FROM members m JOIN households h ON h.id = m.household_id WHERE m.number = ?`), memberNumber).Scan(&hid, &village)
	if err == sql.ErrNoRows || (err == nil && hid == householdID) {
		return nil
	} else if err != nil {
		return err
	}
	if !u.InScope(village) {
		return numberOutside(u, memberNumber, true)
	}
	return nil
}

// lockHousehold finds a live household for a write, checking scope: absent
// is ENOTFOUND, outside the scope EFORBIDDEN.
func (db *DB) lockHousehold(ctx context.Context, tx *sql.Tx, u *backstop.User, number string) (int64, string, error) {
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return 0, "", err
	}
	if err := checkNumberWritable(u, number, false); err != nil {
		return 0, "", err
	}
	var id int64
	var village string
	err := tx.QueryRowContext(ctx, db.q(`SELECT id, village_code FROM households WHERE number = ? AND NOT deleted`), number).Scan(&id, &village)
	if err == sql.ErrNoRows {
		return 0, "", backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户", "Household %s not found.", number)
	} else if err != nil {
		return 0, "", err
	}
	if !u.InScope(village) {
		return 0, "", numberOutside(u, number, false)
	}
	return id, village, nil
}

// DeleteHousehold marks a household deleted; its rows and history stay.
func (db *DB) DeleteHousehold(ctx context.Context, number string) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, number)
		if err != nil {
			return err
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE households SET deleted = TRUE, rev = ?, version = version + 1, updated_at = ? WHERE id = ?`), rev, db.now().UTC(), id); err != nil {
			return err
		}
		if err := db.history(ctx, tx, id, "household.delete", ""); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "household.delete", "household", number, "")
	})
}

// UpsertMember creates or updates one member.
func (db *DB) UpsertMember(ctx context.Context, householdNumber string, m *backstop.Member) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkNumberWritable(u, m.Number, true); err != nil {
		return err
	}
	m.HouseholdNumber = householdNumber
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, householdNumber)
		if err != nil {
			return err
		}
		if err := db.checkMemberMove(ctx, tx, u, m.Number, id); err != nil {
			return err
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if err := db.writeMemberRow(ctx, tx, id, m); err != nil {
			return err
		}
		if err := db.refreshHouseholds(ctx, tx, "?", []any{id}, rev); err != nil {
			return err
		}
		if err := db.history(ctx, tx, id, "member.upsert", m.Number); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "member.upsert", "member", m.Number, "household "+householdNumber)
	})
}

// DeleteMember removes one member from a household.
func (db *DB) DeleteMember(ctx context.Context, householdNumber, memberNumber string) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, householdNumber)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM members WHERE household_id = ? AND number = ?`), id, memberNumber)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ENOTFOUND, "户%[2]s中找不到人员%[1]s", "Person %s not found in household %s.", memberNumber, householdNumber)
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if err := db.refreshHouseholds(ctx, tx, "?", []any{id}, rev); err != nil {
			return err
		}
		if err := db.history(ctx, tx, id, "member.delete", memberNumber); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "member.delete", "member", memberNumber, "household "+householdNumber)
	})
}
