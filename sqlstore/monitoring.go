package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

const decisionColumns = `d.id, h.number, d.monitored, d.monitor_type, d.identified_on, d.cleared_on, d.risk_types, d.source, d.note, d.decided_by, d.decided_at`

func scanDecision(sc interface{ Scan(...any) error }) (*backstop.MonitoringDecision, error) {
	var d backstop.MonitoringDecision
	var monitored int
	var risks string
	if err := sc.Scan(&d.ID, &d.Household, &monitored, &d.MonitorType, &d.IdentifiedOn, &d.ClearedOn, &risks, &d.Source, &d.Note, &d.DecidedBy, &d.DecidedAt); err != nil {
		return nil, err
	}
	d.Monitored = monitored != 0
	json.Unmarshal([]byte(risks), &d.RiskTypes)
	return &d, nil
}

// applyLocalDecisions sets the monitored bit of households with a local
// decision from that decision (the rule of backstop.MonitoringDecision),
// for the households where selects; the national view set it before.
func (db *DB) applyLocalDecisions(ctx context.Context, ex execer, where string, args []any) error {
	bit := int64(backstop.GroupMonitored)
	_, err := ex.ExecContext(ctx, db.q(`UPDATE households SET groups = (groups & ?) | COALESCE((SELECT CASE WHEN d.monitored <> 0 THEN ? ELSE 0 END
 FROM monitoring_decisions d WHERE d.id = households.local_decision_id), 0) WHERE local_decision_id IS NOT NULL AND `+where), append([]any{^bit, bit}, args...)...)
	return err
}

// DecideMonitoring records a local decision and makes it current.
func (db *DB) DecideMonitoring(ctx context.Context, d *backstop.MonitoringDecision) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if d.Source == "" {
		return backstop.Localized(backstop.EINVALID, "监测认定需要注明来源（案件或人工认定）", "A monitoring decision needs its source (a case, or manual).")
	}
	now := db.now().UTC()
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, d.Household)
		if err != nil {
			return err
		}
		return db.decideTx(ctx, tx, u, d, id, village, now)
	})
}

// decideTx records a decision for the household id of village in tx and
// makes it current (DecideMonitoring, and a case's approval or green
// channel in the case's own transaction; the caller tells the listener the
// registry changed once it committed).
func (db *DB) decideTx(ctx context.Context, tx *sql.Tx, u *backstop.User, d *backstop.MonitoringDecision, id int64, village string, now time.Time) error {
	risks, _ := json.Marshal(nonNilStrings(d.RiskTypes))
	{
		d.DecidedBy, d.DecidedAt = u.Name, now
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO monitoring_decisions (household_id, monitored, monitor_type, identified_on, cleared_on, risk_types, source, note, decided_by, decided_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), id, boolInt(d.Monitored), d.MonitorType, d.IdentifiedOn, d.ClearedOn, string(risks), d.Source, d.Note, u.Name, now).Scan(&d.ID); err != nil {
			return err
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE households SET local_decision_id = ?, rev = ? WHERE id = ?`), d.ID, rev, id); err != nil {
			return err
		}
		if err := db.applyLocalDecisions(ctx, tx, "id = ?", []any{id}); err != nil {
			return err
		}
		what := "monitored"
		if !d.Monitored {
			what = "risk cleared"
		}
		detail := fmt.Sprintf("%s (%s) by %s", what, d.MonitorType, d.Source)
		if err := db.history(ctx, tx, id, "monitoring.decide", detail); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "monitoring.decide", "household", d.Household, detail)
	}
}

// MonitoringDecisions lists a household's decisions in the user's scope,
// newest first.
func (db *DB) MonitoringDecisions(ctx context.Context, household string) ([]*backstop.MonitoringDecision, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	sc, sargs := scope(u)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+decisionColumns+` FROM monitoring_decisions d JOIN households h ON h.id = d.household_id
 WHERE h.number = ? AND `+sc+` ORDER BY d.id DESC`), append([]any{household}, sargs...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.MonitoringDecision{}
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// localDecision reads a household's current decision, if any.
func (db *DB) localDecision(ctx context.Context, householdID int64) (*backstop.MonitoringDecision, error) {
	d, err := scanDecision(db.read.QueryRowContext(ctx, db.q(`SELECT `+decisionColumns+` FROM households h JOIN monitoring_decisions d ON d.id = h.local_decision_id WHERE h.id = ?`), householdID))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return d, db.translate(err)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
