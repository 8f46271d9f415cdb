package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

const contactColumns = `id, kind, name, department, region_code, phone, email, address, hazards`

func scanContact(sc interface{ Scan(...any) error }) (*backstop.Contact, error) {
	var c backstop.Contact
	var hazards string
	if err := sc.Scan(&c.ID, &c.Kind, &c.Name, &c.Department, &c.Region, &c.Phone, &c.Email, &c.Address, &hazards); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(hazards), &c.Hazards)
	return &c, nil
}

func (db *DB) scanContacts(ctx context.Context, query string, args ...any) ([]*backstop.Contact, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FindContacts lists contacts within the user's region, or above it
// (a township officer sees the county's duty officers).
func (db *DB) FindContacts(ctx context.Context, kind string) ([]*backstop.Contact, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	conds, args := []string{"(kind = ? OR ? = '')"}, []any{kind, kind}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		conds, args = append(conds, "region_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	return db.scanContacts(ctx, `SELECT `+contactColumns+` FROM contacts WHERE `+strings.Join(conds, " AND ")+` ORDER BY region_code, kind, name, id`, args...)
}

// ContactsFor lists the contacts of the given regions and of every
// region above them.
func (db *DB) ContactsFor(ctx context.Context, regions []string) ([]*backstop.Contact, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	set := map[string]bool{backstop.NationalScope: true}
	for _, r := range regions {
		for c := r; c != ""; c = backstop.ParentCodeOf(c) {
			set[c] = true
		}
	}
	codes := make([]string, 0, len(set))
	for c := range set {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var out []*backstop.Contact
	for start := 0; start < len(codes); start += 500 {
		chunk := codes[start:min(start+500, len(codes))]
		args := make([]any, len(chunk))
		for i, c := range chunk {
			args[i] = c
		}
		cs, err := db.scanContacts(ctx, `SELECT `+contactColumns+` FROM contacts WHERE region_code IN (?`+strings.Repeat(",?", len(chunk)-1)+`) ORDER BY region_code, kind, id`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// CreateContacts stores contacts inside the user's region in one
// transaction.
func (db *DB) CreateContacts(ctx context.Context, cs ...*backstop.Contact) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			return err
		}
		if err := db.checkRobotURL(c); err != nil {
			return err
		}
		if !u.InScope(c.Region) {
			return backstop.OutsideRegion(u, "联系人所属区划"+c.Region, "the contact's region "+c.Region)
		}
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			hazards := []byte("[]")
			if len(c.Hazards) > 0 {
				hazards, _ = json.Marshal(c.Hazards)
			}
			if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO contacts (kind, name, department, region_code, phone, email, address, hazards, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				c.Kind, c.Name, c.Department, c.Region, c.Phone, c.Email, c.Address, string(hazards), u.Name, now).Scan(&c.ID); err != nil {
				return err
			}
			if err := db.auditIn(ctx, tx, c.Region, "contact.create", "contact", fmt.Sprint(c.ID), c.Kind+" "+c.Region); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkRobotURL checks a 企业微信 robot given as a webhook URL (a bare
// key goes to the configured robot host and needs no check): the channel
// posts to it, so it must not name an internal address.
func (db *DB) checkRobotURL(c *backstop.Contact) error {
	if c.Kind != backstop.ContactWeComGroup || !strings.Contains(c.Address, "://") {
		return nil
	}
	if err := db.Outbound.CheckURL(c.Address); err != nil {
		return &backstop.Error{Code: backstop.EINVALID, ZH: fmt.Sprintf("联系人“%s”的企业微信机器人地址：%s", c.Name, backstop.ErrorMessageZH(err)),
			Message: fmt.Sprintf("Contact %q, 企业微信 robot address: %s", c.Name, backstop.ErrorMessage(err))}
	}
	return nil
}

// DeleteContact removes a contact of the user's region.
func (db *DB) DeleteContact(ctx context.Context, id int64) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var region string
		err := tx.QueryRowContext(ctx, db.q(`SELECT region_code FROM contacts WHERE id = ?`), id).Scan(&region)
		if err == sql.ErrNoRows || (err == nil && !u.InScope(region)) {
			// Looked up inside the user's region: an id elsewhere answers
			// as one that does not exist.
			return backstop.NotInRegion(u, backstop.Localized(backstop.ENOTFOUND, "找不到联系人%d", "Contact %d not found.", id),
				fmt.Sprintf("联系人%d", id), fmt.Sprintf("contact %d", id))
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM contacts WHERE id = ?`), id); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, region, "contact.delete", "contact", fmt.Sprint(id), region)
	})
}
