package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

const templateColumns = `id, region_code, hazard, level, text, updated_by, updated_at`

func scanTemplate(sc interface{ Scan(...any) error }) (*backstop.MessageTemplate, error) {
	var t backstop.MessageTemplate
	var hazard string
	err := sc.Scan(&t.ID, &t.Region, &hazard, &t.Level, &t.Text, &t.UpdatedBy, &t.UpdatedAt)
	t.Hazard = backstop.Hazard(hazard)
	return &t, err
}

// regionChain lists a region and every region above it, the national
// scope last: the regions whose templates apply inside it.
func regionChain(code string) []string {
	out := []string{code}
	for c := backstop.ParentCodeOf(code); c != ""; c = backstop.ParentCodeOf(c) {
		out = append(out, c)
	}
	if code != backstop.NationalScope {
		out = append(out, backstop.NationalScope)
	}
	return out
}

// templateScope is the predicate of the templates a user works with: those
// that apply in the user's region (its own and its parents') and those of
// the regions inside it.
func templateScope(u *backstop.User) (string, []any) {
	chain := regionChain(u.Region)
	lo, hi := backstop.CodeRange(u.Region)
	args := []any{lo, hi}
	for _, c := range chain {
		args = append(args, c)
	}
	return "(region_code BETWEEN ? AND ? OR region_code IN (?" + strings.Repeat(", ?", len(chain)-1) + "))", args
}

func (db *DB) queryTemplates(ctx context.Context, cond string, args ...any) ([]*backstop.MessageTemplate, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+templateColumns+` FROM message_templates WHERE `+cond+` ORDER BY region_code, hazard, level`), args...)
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

// FindTemplates lists the templates of the user's region, of the regions
// above it (which apply in it) and of those inside it: national defaults
// first, general before specific.
func (db *DB) FindTemplates(ctx context.Context) ([]*backstop.MessageTemplate, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := templateScope(u)
	return db.queryTemplates(ctx, cond, args...)
}

// TemplateFor picks the template of a release in region: of the most
// specific region holding it that has a matching template, the most
// specific match by hazard and level.
func (db *DB) TemplateFor(ctx context.Context, region string, hazard backstop.Hazard, level backstop.WarningLevel) (*backstop.MessageTemplate, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	if region != backstop.NationalScope {
		code, err := backstop.NormalizeRegionCode(region)
		if err != nil {
			return nil, err
		}
		region = code
	}
	chain := regionChain(region)
	args := make([]any, len(chain))
	for i, c := range chain {
		args[i] = c
	}
	all, err := db.queryTemplates(ctx, "region_code IN (?"+strings.Repeat(", ?", len(chain)-1)+")", args...)
	if err != nil {
		return nil, err
	}
	var best *backstop.MessageTemplate
	bestScore := -1
	for _, t := range all {
		if (t.Hazard != "" && t.Hazard != hazard) || (t.Level != "" && t.Level != level) {
			continue
		}
		// The region decides first, then hazard, then level.
		score := int(backstop.LevelOfCode(t.Region)) * 4
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
		name := string(hazard)
		if h, ok := backstop.HazardOf(hazard); ok {
			name = h.ZH
		}
		return nil, backstop.Localized(backstop.ENOTFOUND, "没有适用于该级别%[1]s预警的短信模板", "No message template applies to %[2]s %[3]s.", name, hazard, level)
	}
	return best, nil
}

// FindTemplate returns one of the templates FindTemplates lists.
func (db *DB) FindTemplate(ctx context.Context, id int64) (*backstop.MessageTemplate, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := templateScope(u)
	t, err := scanTemplate(db.read.QueryRowContext(ctx, db.q(`SELECT `+templateColumns+` FROM message_templates WHERE id = ? AND `+cond), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到短信模板%d", "Template %d not found.", id)
	}
	return t, db.translate(err)
}

// SaveTemplate creates or replaces a template of a region inside the
// user's: the region named (the user's when none is) is checked before
// anything is looked up; a replaced template keeps its region.
func (db *DB) SaveTemplate(ctx context.Context, t *backstop.MessageTemplate) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	named := t.Region
	if named != "" && named != backstop.NationalScope {
		code, err := backstop.NormalizeRegionCode(named)
		if err != nil {
			return err
		}
		named = code
	}
	if named != "" && !u.InScope(named) {
		return backstop.OutsideRegion(u, "模板所属区划"+named, "the template's region "+named)
	}
	if err := backstop.ValidateTemplate(t.Text); err != nil {
		return err
	}
	if t.Hazard != "" {
		if _, ok := backstop.HazardOf(t.Hazard); !ok {
			return backstop.Localized(backstop.EINVALID, "灾种%q无法识别", "unknown hazard %q", t.Hazard)
		}
	}
	if t.Level != "" && !slices.Contains(backstop.WarningLevels, t.Level) {
		return backstop.Localized(backstop.EINVALID, "预警级别%q无法识别（应为红色、橙色、黄色、蓝色）", "unknown level %q (red, orange, yellow, blue)", t.Level)
	}
	if n := len([]rune(t.Text)); n > maxTemplateRunes {
		return backstop.Localized(backstop.EINVALID, "模板内容过长：%d 字，最多 %d 字", "The template text has %d characters; at most %d.", n, maxTemplateRunes)
	}
	now := db.now().UTC()
	t.UpdatedBy, t.UpdatedAt = u.Name, now
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if t.ID == 0 {
			if named == "" {
				named = u.Region
			}
			t.Region = named
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO message_templates (region_code, hazard, level, text, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
				t.Region, string(t.Hazard), t.Level, t.Text, u.Name, now).Scan(&t.ID)
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Localized(backstop.ECONFLICT, "区划%s已有灾种“%s”、级别“%s”的模板，请修改原模板", "Region %s has a template for %q %q already; edit it.", t.Region, backstop.Term(backstop.TermHazard, string(t.Hazard)), backstop.Term(backstop.TermLevel, string(t.Level)))
			}
			if err != nil {
				return err
			}
		} else {
			// Only a template of the user's region (or below) is found:
			// any other id, existing or not, answers the same.
			lo, hi := backstop.CodeRange(u.Region)
			var stored string
			err := tx.QueryRowContext(ctx, db.q(`SELECT region_code FROM message_templates WHERE id = ? AND region_code BETWEEN ? AND ?`), t.ID, lo, hi).Scan(&stored)
			if err == sql.ErrNoRows {
				return backstop.NotInRegion(u, backstop.Localized(backstop.ENOTFOUND, "找不到短信模板%d", "Template %d not found.", t.ID),
					fmt.Sprintf("短信模板%d", t.ID), fmt.Sprintf("template %d", t.ID))
			} else if err != nil {
				return err
			}
			if named != "" && named != stored {
				return backstop.Localized(backstop.EINVALID, "模板的所属区划（%s）不能修改：请为区划%s新建模板", "A template's region (%s) does not change: add a template for %s instead.", stored, named)
			}
			t.Region = stored
			_, err = tx.ExecContext(ctx, db.q(`UPDATE message_templates SET hazard = ?, level = ?, text = ?, updated_by = ?, updated_at = ? WHERE id = ?`), string(t.Hazard), t.Level, t.Text, u.Name, now, t.ID)
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Localized(backstop.ECONFLICT, "区划%s已有灾种“%s”、级别“%s”的模板，请修改原模板", "Region %s has a template for %q %q already; edit it.", t.Region, backstop.Term(backstop.TermHazard, string(t.Hazard)), backstop.Term(backstop.TermLevel, string(t.Level)))
			}
			if err != nil {
				return err
			}
		}
		return db.auditIn(ctx, tx, t.Region, "template.save", "template", fmt.Sprint(t.ID), t.Region+" "+string(t.Hazard)+" "+string(t.Level))
	})
}

// maxTemplateRunes bounds a template's text: a message of ten SMS
// segments is far past what a warning should be.
const maxTemplateRunes = 700
