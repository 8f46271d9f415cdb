package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

// Project assets: the register by village, damages by events, and the
// decision on each damage (restore, put to new use, dispose) proposed and
// approved by compare-and-set.

const assetColumns = `a.id, a.name, a.class, a.owner, a.village_code, a.location, a.value, COALESCE(a.project_id, 0), a.state, a.created_at, a.created_by`

func scanAsset(sc interface{ Scan(...any) error }) (*backstop.Asset, error) {
	var a backstop.Asset
	if err := sc.Scan(&a.ID, &a.Name, &a.Class, &a.Owner, &a.Village, &a.Location, &a.Value, &a.ProjectID, &a.State, &a.CreatedAt, &a.CreatedBy); err != nil {
		return nil, err
	}
	return &a, nil
}

const damageColumns = `d.id, d.asset_id, d.event, d.date, d.loss, d.description, d.decision, d.decision_note, d.state, d.proposed_by, d.approved_by, d.decided_at, d.record, d.created_at, d.created_by,
 a.name, a.class, a.village_code`

func scanDamage(sc interface{ Scan(...any) error }) (*backstop.AssetDamage, error) {
	var d backstop.AssetDamage
	var decided sql.NullTime
	if err := sc.Scan(&d.ID, &d.AssetID, &d.Event, &d.Date, &d.Loss, &d.Description, &d.Decision, &d.DecisionNote, &d.State, &d.ProposedBy, &d.ApprovedBy, &decided, &d.Record,
		&d.CreatedAt, &d.CreatedBy, &d.AssetName, &d.AssetClass, &d.Village); err != nil {
		return nil, err
	}
	d.DecidedAt = timePtr(decided)
	return &d, nil
}

// CreateAsset registers an asset of a village in the user's region; a
// source project must be one of the user's region.
func (db *DB) CreateAsset(ctx context.Context, a *backstop.Asset) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, a.Village); err != nil {
		return err
	}
	if a.ProjectID != 0 {
		if _, err := db.FindProject(ctx, a.ProjectID); err != nil {
			return backstop.Localized(backstop.EINVALID, "您的辖区没有编号为%d的项目", "No project %d in your region.", a.ProjectID)
		}
	}
	a.State, a.CreatedAt, a.CreatedBy = backstop.AssetInUse, db.now().UTC(), u.Name
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO assets (name, class, owner, village_code, location, value, project_id, state, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			a.Name, string(a.Class), a.Owner, a.Village, a.Location, a.Value, nullID(a.ProjectID), string(a.State), a.CreatedAt, a.CreatedBy).Scan(&a.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, a.Village, "asset.create", "asset", fmt.Sprint(a.ID), string(a.Class)+" "+a.Village)
	})
}

// FindAsset returns an asset of the user's region with its damages.
func (db *DB) FindAsset(ctx context.Context, id int64) (*backstop.Asset, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "a.village_code")
	a, err := scanAsset(db.read.QueryRowContext(ctx, db.q(`SELECT `+assetColumns+` FROM assets a`+where("a.id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该资产", EN: "The asset"})
	} else if err != nil {
		return nil, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+damageColumns+` FROM asset_damages d JOIN assets a ON a.id = d.asset_id WHERE d.asset_id = ? ORDER BY d.id`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDamage(rows)
		if err != nil {
			return nil, err
		}
		a.Damages = append(a.Damages, d)
	}
	return a, db.translate(rows.Err())
}

// FindAssets pages the register of the user's region.
func (db *DB) FindAssets(ctx context.Context, f backstop.AssetFilter) ([]*backstop.Asset, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "a.village_code")
	within, wargs, err := regionWithin(f.Region, "a.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if f.Class != "" {
		conds, args = append(conds, "a.class = ?"), append(args, string(f.Class))
	}
	if f.State != "" {
		conds, args = append(conds, "a.state = ?"), append(args, string(f.State))
	}
	cond := where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM assets a`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+assetColumns+` FROM assets a`+cond+` ORDER BY a.village_code, a.id LIMIT ? OFFSET ?`), append(args, pageLimit(f.Limit), f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, db.translate(rows.Err())
}

// RecordDamage records an asset's damage by an event and marks it
// damaged.
func (db *DB) RecordDamage(ctx context.Context, d *backstop.AssetDamage) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	a, err := db.FindAsset(ctx, d.AssetID)
	if err != nil {
		return backstop.NotInRegion(u, err, "该资产", "the asset")
	}
	if a.State == backstop.AssetDisposed {
		return backstop.Localized(backstop.ECONFLICT, "该资产已处置", "The asset was disposed of.")
	}
	d.CreatedAt, d.CreatedBy, d.State = db.now().UTC(), u.Name, backstop.DecisionOpen
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO asset_damages (asset_id, event, date, loss, description, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			d.AssetID, d.Event, d.Date, d.Loss, d.Description, d.CreatedAt, d.CreatedBy).Scan(&d.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE assets SET state = ? WHERE id = ?`), string(backstop.AssetDamaged), d.AssetID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, a.Village, "asset.damage", "asset", fmt.Sprint(d.AssetID), fmt.Sprintf("event %s, loss %.2f", d.Event, d.Loss))
	})
}

// damageOf reads a damage inside the user's region for a write.
func (db *DB) damageOf(ctx context.Context, u *backstop.User, id int64) (*backstop.AssetDamage, error) {
	scope, args := scopeWhere(u, "a.village_code")
	d, err := scanDamage(db.write.QueryRowContext(ctx, db.q(`SELECT `+damageColumns+` FROM asset_damages d JOIN assets a ON a.id = d.asset_id`+where("d.id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.NotInRegion(u, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该损毁记录", EN: "The damage"}), "损毁记录", "the damage")
	}
	return d, db.translate(err)
}

// ProposeDecision proposes what becomes of a damaged asset, from the
// state the caller saw (open, or rejected before).
func (db *DB) ProposeDecision(ctx context.Context, damageID int64, from backstop.DecisionState, decision backstop.AssetDecision, note string) (*backstop.AssetDamage, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	d, err := db.damageOf(ctx, u, damageID)
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE asset_damages SET decision = ?, decision_note = ?, state = ?, proposed_by = ?, approved_by = '', decided_at = NULL, record = '' WHERE id = ? AND state = ?`),
			string(decision), note, string(backstop.DecisionProposed), u.Name, damageID, string(from))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该损毁记录", EN: "The damage"})
		}
		return db.auditIn(ctx, tx, d.Village, "asset.propose", "asset", fmt.Sprint(d.AssetID), string(decision))
	})
	if err != nil {
		return nil, err
	}
	return db.damageOf(ctx, u, damageID)
}

// DecideDamage approves or rejects a proposal by compare-and-set on
// proposed; approval moves the asset to what was decided.
func (db *DB) DecideDamage(ctx context.Context, damageID int64, approve bool, record string) (*backstop.AssetDamage, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	d, err := db.damageOf(ctx, u, damageID)
	if err != nil {
		return nil, err
	}
	if d.ProposedBy == u.Name {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "处置意见须由提出人以外的人员审批", "A proposal is approved by someone other than its proposer.")
	}
	state := backstop.DecisionRejected
	if approve {
		state = backstop.DecisionApproved
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE asset_damages SET state = ?, approved_by = ?, decided_at = ?, record = ? WHERE id = ? AND state = ?`),
			string(state), u.Name, now, record, damageID, string(backstop.DecisionProposed))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该损毁记录", EN: "The damage"})
		}
		if approve {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE assets SET state = ? WHERE id = ?`), string(backstop.AssetDecisions[d.Decision]), d.AssetID); err != nil {
				return err
			}
		}
		return db.auditIn(ctx, tx, d.Village, "asset."+string(state), "asset", fmt.Sprint(d.AssetID), string(d.Decision))
	})
	if err != nil {
		return nil, err
	}
	return db.damageOf(ctx, u, damageID)
}

// EventDamages lists the damages of an event in the user's region with
// what was decided.
func (db *DB) EventDamages(ctx context.Context, event string) ([]*backstop.AssetDamage, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "a.village_code")
	conds := []string{scope}
	if event != "" {
		conds, args = append(conds, "d.event = ?"), append(args, event)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+damageColumns+` FROM asset_damages d JOIN assets a ON a.id = d.asset_id`+where(conds...)+` ORDER BY a.village_code, d.id LIMIT 5000`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.AssetDamage{}
	for rows.Next() {
		d, err := scanDamage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, db.translate(rows.Err())
}
