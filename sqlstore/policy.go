package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/zhangye-backstop/backstop"
)

const policyColumns = `id, key, region_code, value, data, unit, effective_from, effective_to, source`

func scanPolicy(sc interface{ Scan(...any) error }) (*backstop.Policy, error) {
	var p backstop.Policy
	var from, data string
	var to sql.NullString
	if err := sc.Scan(&p.ID, &p.Key, &p.Region, &p.Value, &data, &p.Unit, &from, &to, &p.Source); err != nil {
		return nil, err
	}
	if data != "" {
		p.Data = json.RawMessage(data)
	}
	p.EffectiveFrom, _ = time.Parse("2006-01-02", from)
	if to.Valid && to.String != "" {
		t, _ := time.Parse("2006-01-02", to.String)
		p.EffectiveTo = &t
	}
	return &p, nil
}

// PolicyAt returns the version of key in force on date for region: among
// the versions whose region contains it, the most specific region wins,
// then the latest effective date. The date is Beijing's (an instant of
// 07:00 UTC on the day a version takes effect is already that day there).
func (db *DB) PolicyAt(ctx context.Context, key, region string, date time.Time) (*backstop.Policy, error) {
	d := date.In(backstop.Beijing).Format("2006-01-02")
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+policyColumns+` FROM policies WHERE key = ? AND effective_from <= ? AND (effective_to IS NULL OR effective_to = '' OR effective_to > ?) ORDER BY effective_from DESC, id DESC`), key, d, d)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var best *backstop.Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		if p.Region != backstop.NationalScope && !backstop.CodeWithin(region, p.Region) {
			continue
		}
		if best == nil || len(backstop.CodePrefix(p.Region)) > len(backstop.CodePrefix(best.Region)) {
			best = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if best == nil {
		return nil, backstop.Localized(backstop.ENOTFOUND, "%[3]s没有适用于%[2]s的政策参数“%[1]s”，请先由管理员录入", "No %s policy is in force for %s on %s.", key, region, d)
	}
	return best, nil
}

// FindPolicies lists every version of a key (all keys when empty).
func (db *DB) FindPolicies(ctx context.Context, key string) ([]*backstop.Policy, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+policyColumns+` FROM policies WHERE key = ? OR ? = '' ORDER BY key, region_code, effective_from`), key, key)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreatePolicy adds a version. Versions are never edited: a change is a
// new row with a later effective date, so past decisions keep theirs.
func (db *DB) CreatePolicy(ctx context.Context, p *backstop.Policy) error {
	if p.Key == backstop.PolicyElderlyAge {
		defer db.forgetElderly()
	}
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if p.Region == "" {
		p.Region = backstop.NationalScope
	}
	if p.Region != backstop.NationalScope {
		code, err := backstop.NormalizeRegionCode(p.Region)
		if err != nil {
			return err
		}
		p.Region = code
	}
	// A policy version rules its region and everything inside it.
	if !u.InScope(p.Region) {
		return backstop.OutsideRegion(u, "政策参数的适用区划"+p.Region, "the policy's region "+p.Region)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	var to any
	if p.EffectiveTo != nil {
		to = p.EffectiveTo.Format("2006-01-02")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO policies (key, region_code, value, data, unit, effective_from, effective_to, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			p.Key, p.Region, p.Value, string(p.Data), p.Unit, p.EffectiveFrom.Format("2006-01-02"), to, p.Source, db.now().UTC()).Scan(&p.ID)
		if err != nil {
			return err
		}
		return db.auditIn(ctx, tx, p.Region, "policy.create", "policy", p.Key, p.Region+" from "+p.EffectiveFrom.Format("2006-01-02"))
	})
}
