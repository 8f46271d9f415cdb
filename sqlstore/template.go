package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/zhangye-backstop/backstop"
)

const templateColumns = `id, hazard, level, text, updated_by, updated_at`

func scanTemplate(sc interface{ Scan(...any) error }) (*backstop.MessageTemplate, error) {
	var t backstop.MessageTemplate
	var hazard string
	err := sc.Scan(&t.ID, &hazard, &t.Level, &t.Text, &t.UpdatedBy, &t.UpdatedAt)
	t.Hazard = backstop.Hazard(hazard)
	return &t, err
}

// FindTemplates lists every template: general first.
func (db *DB) FindTemplates(ctx context.Context) ([]*backstop.MessageTemplate, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+templateColumns+` FROM message_templates ORDER BY hazard, level`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.MessageTemplate{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TemplateFor picks the most specific template.
func (db *DB) TemplateFor(ctx context.Context, hazard backstop.Hazard, level backstop.WarningLevel) (*backstop.MessageTemplate, error) {
	all, err := db.FindTemplates(ctx)
	if err != nil {
		return nil, err
	}
	var best *backstop.MessageTemplate
	bestScore := -1
	for _, t := range all {
		if (t.Hazard != "" && t.Hazard != hazard) || (t.Level != "" && t.Level != level) {
			continue
		}
		score := 0
		if t.Hazard != "" {
			score += 2
		}
		if t.Level != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = t, score
		}
	}
	if best == nil {
		return nil, backstop.Localized(backstop.ENOTFOUND, "没有适用于该灾种和级别的短信模板", "No message template applies to %s %s.", hazard, level)
	}
	return best, nil
}

// FindTemplate returns one template.
func (db *DB) FindTemplate(ctx context.Context, id int64) (*backstop.MessageTemplate, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	t, err := scanTemplate(db.read.QueryRowContext(ctx, db.q(`SELECT `+templateColumns+` FROM message_templates WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Template %d not found.", id)
	}
	return t, db.translate(err)
}

// SaveTemplate creates or replaces a template.
func (db *DB) SaveTemplate(ctx context.Context, t *backstop.MessageTemplate) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	if err := backstop.ValidateTemplate(t.Text); err != nil {
		return err
	}
	if t.Hazard != "" {
		if _, ok := backstop.HazardOf(t.Hazard); !ok {
			return backstop.Errorf(backstop.EINVALID, "unknown hazard %q", t.Hazard)
		}
	}
	if t.Level != "" && !slices.Contains(backstop.WarningLevels, t.Level) {
		return backstop.Errorf(backstop.EINVALID, "unknown level %q (red, orange, yellow, blue)", t.Level)
	}
	now := db.now().UTC()
	t.UpdatedBy, t.UpdatedAt = u.Name, now
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if t.ID == 0 {
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO message_templates (hazard, level, text, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
				string(t.Hazard), t.Level, t.Text, u.Name, now).Scan(&t.ID)
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Localized(backstop.ECONFLICT, "该灾种和级别已有模板，请修改原模板", "A template for %q %q exists already; edit it.", t.Hazard, t.Level)
			}
			if err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, db.q(`UPDATE message_templates SET hazard = ?, level = ?, text = ?, updated_by = ?, updated_at = ? WHERE id = ?`), string(t.Hazard), t.Level, t.Text, u.Name, now, t.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return backstop.Errorf(backstop.ENOTFOUND, "Template %d not found.", t.ID)
			}
		}
		return db.audit(ctx, tx, "template.save", "template", fmt.Sprint(t.ID), string(t.Hazard)+" "+string(t.Level))
	})
}
