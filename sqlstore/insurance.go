package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

// Insurance: products (read by everyone: what is on offer), policies held
// by households and claims with their payouts, both in the household's
// village for scope.

const productColumns = `id, code, name, kind, insurer, region_code, cover, premium, payer, household_share, perils, created_at`

func scanProduct(sc interface{ Scan(...any) error }) (*backstop.InsuranceProduct, error) {
	var p backstop.InsuranceProduct
	var perils string
	if err := sc.Scan(&p.ID, &p.Code, &p.Name, &p.Kind, &p.Insurer, &p.Region, &p.Cover, &p.Premium, &p.Payer, &p.HouseholdShare, &perils, &p.CreatedAt); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(perils), &p.Perils)
	return &p, nil
}

// CreateProduct stores a product of a region in the user's scope.
func (db *DB) CreateProduct(ctx context.Context, p *backstop.InsuranceProduct) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, p.Region); err != nil {
		return err
	}
	p.CreatedAt = db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO insurance_products (code, name, kind, insurer, region_code, cover, premium, payer, household_share, perils, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), p.Code, p.Name, string(p.Kind), p.Insurer, p.Region, p.Cover, p.Premium, string(p.Payer), p.HouseholdShare, mustJSON(p.Perils), p.CreatedAt).Scan(&p.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "insurance.product", "insurance_product", fmt.Sprint(p.ID), p.Code+" "+p.Region)
	})
	if backstop.ErrorKey(err) == "conflict.exists" {
		return backstop.Localized(backstop.ECONFLICT, "产品代码“%s”已存在", "Product code %q exists already.", p.Code)
	}
	return err
}

// FindProducts lists every product: what is offered is public to the
// officers of every region.
func (db *DB) FindProducts(ctx context.Context) ([]*backstop.InsuranceProduct, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+productColumns+` FROM insurance_products ORDER BY region_code, kind, code`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.InsuranceProduct{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, db.translate(rows.Err())
}

// FindProduct returns one product.
func (db *DB) FindProduct(ctx context.Context, id int64) (*backstop.InsuranceProduct, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	p, err := scanProduct(db.read.QueryRowContext(ctx, db.q(`SELECT `+productColumns+` FROM insurance_products WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该保险产品", EN: "The product"})
	}
	return p, db.translate(err)
}

// CreateInsurancePolicies stores policies in one transaction: each names a product
// and a household of the user's region (by 户编号); the problems of all
// rows are reported together, with their row numbers (Row, set by the
// caller for sheets).
func (db *DB) CreateInsurancePolicies(ctx context.Context, ps []*backstop.InsurancePolicy) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var problems []backstop.Problem
		products := map[int64]bool{}
		for i, p := range ps {
			row := i + 1
			if p.ID > 0 { // the sheet's row number travels in ID until stored
				row = int(p.ID)
			}
			// A 户编号 begins with its village's code: the region the row
			// names, decided before anything is looked up.
			if len(p.Household) >= 12 {
				if code, err := backstop.NormalizeRegionCode(p.Household[:12]); err == nil && !u.InScope(code) {
					return backstop.OutsideRegion(u, fmt.Sprintf("第%d行的农户%s", row, p.Household), fmt.Sprintf("row %d's household %s", row, p.Household))
				}
			}
			err := tx.QueryRowContext(ctx, db.q(`SELECT id, village_code FROM households WHERE number = ? AND NOT deleted`), p.Household).Scan(&p.HouseholdID, &p.Village)
			if err == sql.ErrNoRows || (err == nil && !u.InScope(p.Village)) {
				problems = append(problems, backstop.Problem{Row: row, Column: "户编号", Reason: "no household " + p.Household + " in your region", ReasonZH: "您的辖区没有户编号为" + p.Household + "的农户"})
				continue
			} else if err != nil {
				return err
			}
			if _, ok := products[p.ProductID]; !ok {
				var one int
				err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM insurance_products WHERE id = ?`), p.ProductID).Scan(&one)
				if err != nil && err != sql.ErrNoRows {
					return err
				}
				products[p.ProductID] = err == nil
			}
			if !products[p.ProductID] {
				problems = append(problems, backstop.Problem{Row: row, Column: "产品", Reason: fmt.Sprintf("no product %d", p.ProductID), ReasonZH: fmt.Sprintf("没有编号为%d的保险产品", p.ProductID)})
			}
		}
		if len(problems) > 0 {
			return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("%d problem(s); the first: row %d: %s.", len(problems), problems[0].Row, problems[0].Reason),
				ZH: fmt.Sprintf("有 %d 处问题，第一处：第%d行：%s", len(problems), problems[0].Row, problems[0].ReasonZH), Details: problems}
		}
		for i, p := range ps {
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO insurance_policies (product_id, number, household_id, village_code, from_date, to_date, cover, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				p.ProductID, p.Number, p.HouseholdID, p.Village, p.From, p.To, p.Cover, p.Source, now).Scan(&p.ID)
			if backstop.ErrorKey(db.translate(err)) == "conflict.exists" {
				return &backstop.Error{Code: backstop.ECONFLICT, Message: fmt.Sprintf("Row %d: policy %s of this product exists already.", i+1, p.Number),
					ZH: fmt.Sprintf("第%d行：该产品的保单号%s已登记", i+1, p.Number), Details: []backstop.Problem{{Row: i + 1, Column: "保单号", Reason: "exists already", ReasonZH: "已登记"}}}
			} else if err != nil {
				return err
			}
			p.CreatedAt = now
		}
		return db.audit(ctx, tx, "insurance.policies", "insurance_policy", "", fmt.Sprintf("%d policies, %s", len(ps), ps[0].Source))
	})
}

const insurancePolicyColumns = `p.id, p.product_id, pr.kind, pr.name, p.number, h.number, p.household_id, p.village_code, h.head_name, p.from_date, p.to_date, p.cover, p.source, p.created_at`

// FindInsurancePolicies pages policies of the user's region: a household's, or a
// region's.
func (db *DB) FindInsurancePolicies(ctx context.Context, household, region string, offset, limit int) ([]*backstop.InsurancePolicy, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "p.village_code")
	within, wargs, err := regionWithin(region, "p.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if household != "" {
		conds, args = append(conds, "h.number = ?"), append(args, household)
	}
	from := ` FROM insurance_policies p JOIN insurance_products pr ON pr.id = p.product_id JOIN households h ON h.id = p.household_id` + where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+insurancePolicyColumns+from+` ORDER BY p.village_code, h.number, p.from_date DESC LIMIT ? OFFSET ?`), append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.InsurancePolicy{}
	for rows.Next() {
		var p backstop.InsurancePolicy
		if err := rows.Scan(&p.ID, &p.ProductID, &p.ProductKind, &p.ProductName, &p.Number, &p.Household, &p.HouseholdID, &p.Village, &p.HeadName, &p.From, &p.To, &p.Cover, &p.Source, &p.CreatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, &p)
	}
	return out, total, db.translate(rows.Err())
}

// CreateClaim files a claim on a policy of the user's region.
func (db *DB) CreateClaim(ctx context.Context, c *backstop.InsuranceClaim) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	scope, args := scopeWhere(u, "p.village_code")
	var householdID int64
	var village, to, from string
	err = db.read.QueryRowContext(ctx, db.q(`SELECT p.household_id, p.village_code, h.number, p.from_date, p.to_date FROM insurance_policies p JOIN households h ON h.id = p.household_id`+where("p.id = ?", scope)),
		append([]any{c.PolicyID}, args...)...).Scan(&householdID, &village, &c.Household, &from, &to)
	if err == sql.ErrNoRows {
		return backstop.NotInRegion(u, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该保单", EN: "The policy"}), "保单", "the policy")
	} else if err != nil {
		return db.translate(err)
	}
	if c.FiledOn < from {
		return backstop.Localized(backstop.EINVALID, "理赔申请日期%s早于保单起保日期%s", "The claim's date %s is before the policy starts (%s).", c.FiledOn, from)
	}
	c.State, c.CreatedAt, c.CreatedBy = backstop.ClaimFiled, db.now().UTC(), u.Name
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO insurance_claims (policy_id, household_id, village_code, event, loss_report_id, filed_on, claimed, state, note, created_at, created_by)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), c.PolicyID, householdID, village, c.Event, nullID(c.LossReport), c.FiledOn, c.Claimed, string(c.State), c.Note, c.CreatedAt, c.CreatedBy).Scan(&c.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "insurance.claim", "insurance_claim", fmt.Sprint(c.ID), fmt.Sprintf("policy %d, %.2f", c.PolicyID, c.Claimed))
	})
}

const claimColumns = `c.id, c.policy_id, h.number, c.event, COALESCE(c.loss_report_id, 0), c.filed_on, c.claimed, c.state, c.payout, c.paid_on, c.note, c.created_at, c.created_by`

func scanClaim(sc interface{ Scan(...any) error }) (*backstop.InsuranceClaim, error) {
	var c backstop.InsuranceClaim
	if err := sc.Scan(&c.ID, &c.PolicyID, &c.Household, &c.Event, &c.LossReport, &c.FiledOn, &c.Claimed, &c.State, &c.Payout, &c.PaidOn, &c.Note, &c.CreatedAt, &c.CreatedBy); err != nil {
		return nil, err
	}
	return &c, nil
}

// SettleClaim records a filed claim's outcome by compare-and-set.
func (db *DB) SettleClaim(ctx context.Context, id int64, state backstop.ClaimState, payout float64, paidOn, note string) (*backstop.InsuranceClaim, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "c.village_code")
	var village, filed string
	err = db.read.QueryRowContext(ctx, db.q(`SELECT c.village_code, c.filed_on FROM insurance_claims c`+where("c.id = ?", scope)), append([]any{id}, args...)...).Scan(&village, &filed)
	if err == sql.ErrNoRows {
		return nil, backstop.NotInRegion(u, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该理赔", EN: "The claim"}), "理赔", "the claim")
	} else if err != nil {
		return nil, db.translate(err)
	}
	if paidOn != "" && paidOn < filed {
		return nil, backstop.Localized(backstop.EINVALID, "赔付日期%s早于申请日期%s", "The payout date %s is before the claim (%s).", paidOn, filed)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE insurance_claims SET state = ?, payout = ?, paid_on = ?, note = CASE WHEN ? <> '' THEN ? ELSE note END WHERE id = ? AND state = ?`),
			string(state), payout, paidOn, note, note, id, string(backstop.ClaimFiled))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该理赔", EN: "The claim"})
		}
		return db.auditIn(ctx, tx, village, "insurance.settle", "insurance_claim", fmt.Sprint(id), fmt.Sprintf("%s %.2f", state, payout))
	})
	if err != nil {
		return nil, err
	}
	c, err := scanClaim(db.write.QueryRowContext(ctx, db.q(`SELECT `+claimColumns+` FROM insurance_claims c JOIN households h ON h.id = c.household_id WHERE c.id = ?`), id))
	return c, db.translate(err)
}

// FindClaims pages claims of the user's region: a household's, an
// event's, or all.
func (db *DB) FindClaims(ctx context.Context, household, event string, offset, limit int) ([]*backstop.InsuranceClaim, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "c.village_code")
	conds := []string{scope}
	if household != "" {
		conds, args = append(conds, "h.number = ?"), append(args, household)
	}
	if event != "" {
		conds, args = append(conds, "c.event = ?"), append(args, event)
	}
	from := ` FROM insurance_claims c JOIN households h ON h.id = c.household_id` + where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+claimColumns+from+` ORDER BY c.id DESC LIMIT ? OFFSET ?`), append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.InsuranceClaim{}
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, db.translate(rows.Err())
}

// ClaimIncome sums the payouts of a household's paid claims filed on or
// after since.
func (db *DB) ClaimIncome(ctx context.Context, householdID int64, since string) (float64, []int64, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return 0, nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, payout FROM insurance_claims WHERE household_id = ? AND state = ? AND filed_on >= ? ORDER BY id`), householdID, string(backstop.ClaimPaid), since)
	if err != nil {
		return 0, nil, db.translate(err)
	}
	defer rows.Close()
	var sum float64
	var ids []int64
	for rows.Next() {
		var id int64
		var p float64
		if err := rows.Scan(&id, &p); err != nil {
			return 0, nil, err
		}
		sum, ids = sum+p, append(ids, id)
	}
	return sum, ids, db.translate(rows.Err())
}

// InsuranceGaps lists key-group households of region (those a warning's
// exposure snapshot holds, when given) without a house policy in force on
// date, and per village how many key-group households there are and how
// many are insured.
func (db *DB) InsuranceGaps(ctx context.Context, region, date string, snapshot int64, offset, limit int) ([]*backstop.InsuranceGap, int, []*backstop.InsuranceCoverage, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, nil, err
	}
	if !u.InScope(region) {
		return nil, 0, nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "区划" + region, EN: "Region " + region})
	}
	lo, hi := backstop.CodeRange(region)
	conds := []string{"NOT h.deleted", "h.village_code BETWEEN ? AND ?", "(h.groups & ?) <> 0"}
	args := []any{lo, hi, int64(backstop.KeyGroups)}
	if snapshot != 0 {
		conds = append(conds, "h.id IN (SELECT e.household_id FROM exposure_households e WHERE e.snapshot_id = ? AND e.village_code BETWEEN ? AND ?)")
		args = append(args, snapshot, lo, hi)
	}
	insured := `EXISTS (SELECT 1 FROM insurance_policies p JOIN insurance_products pr ON pr.id = p.product_id
 WHERE p.household_id = h.id AND pr.kind = ? AND p.from_date <= ? AND p.to_date >= ?)`
	base := where(conds...)
	insuredArgs := []any{string(backstop.InsuranceHouse), date, date}
	cov := []*backstop.InsuranceCoverage{}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT h.village_code, COALESCE(r.name, ''), count(*), COALESCE(sum(CASE WHEN `+insured+` THEN 1 ELSE 0 END), 0)
 FROM households h LEFT JOIN regions r ON r.code = h.village_code`+base+` GROUP BY h.village_code, r.name ORDER BY h.village_code`), append(insuredArgs, args...)...)
	if err != nil {
		return nil, 0, nil, db.translate(err)
	}
	for rows.Next() {
		var c backstop.InsuranceCoverage
		if err := rows.Scan(&c.Village, &c.Name, &c.KeyGroup, &c.Insured); err != nil {
			rows.Close()
			return nil, 0, nil, err
		}
		c.Uninsured = c.KeyGroup - c.Insured
		cov = append(cov, &c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, nil, db.translate(err)
	}
	gapCond := base + " AND NOT " + insured
	gapArgs := append(append([]any{}, args...), insuredArgs...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM households h`+gapCond), gapArgs...).Scan(&total); err != nil {
		return nil, 0, nil, db.translate(err)
	}
	rows, err = db.read.QueryContext(ctx, db.q(`SELECT h.number, h.head_name, h.village_code, h.groups FROM households h`+gapCond+` ORDER BY h.village_code, h.number LIMIT ? OFFSET ?`),
		append(gapArgs, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.InsuranceGap{}
	for rows.Next() {
		var g backstop.InsuranceGap
		var groups int64
		if err := rows.Scan(&g.Household, &g.HeadName, &g.Village, &groups); err != nil {
			return nil, 0, nil, err
		}
		for _, grp := range backstop.Groups {
			if backstop.Group(groups)&grp != 0 && backstop.KeyGroups&grp != 0 {
				g.Groups = append(g.Groups, grp.String())
			}
		}
		out = append(out, &g)
	}
	return out, total, cov, db.translate(rows.Err())
}
