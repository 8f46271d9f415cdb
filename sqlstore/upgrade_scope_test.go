package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestUpgradeScopesOldRows: migration 0010 gives the warnings, templates
// and audit rows written under schema 9 the regions they are scoped by,
// on both engines: warnings the common region of their areas (national
// when an area is drawn, the issuer's when none names a region), the
// templates the national scope, audit rows the region of the record they
// name or else their actor's; and the trail stays append-only.
func TestUpgradeScopesOldRows(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			old, opt := openAtSchema(t, engine, 9)
			writeOldRegions(t, old)
			now := time.Now().UTC()
			for _, q := range []string{
				`INSERT INTO users (name, role, region_code, password_hash, created_at, updated_at) VALUES ('lz_duty', 'county', '620723000000', 'x', ?, ?)`,
				`INSERT INTO households (id, number, village_code, size, people, row_hash, rev, created_at, updated_at) VALUES (1, '6207231012017777', '620723101201', 1, 1, 0, 1, ?, ?)`,
				`INSERT INTO members (household_id, number, name, id_number, relation, row_hash, created_at, updated_at) VALUES (1, '620723101201777701', '马福林', '620722197509140617', '户主', 0, ?, ?)`,
				// 1: one village; 2: two counties; 3: a drawn area; 4: a
				// Cancel without areas by a county officer; 5: the same by
				// the CLI.
				`INSERT INTO warnings (id, sender, identifier, sent, status, msg_type, scope, source, hazard, areas, state, cap, created_at, created_by) VALUES
 (1, 's', 'w1', ?, 'Actual', 'Alert', 'Public', 'json', 'rainstorm', '[{"desc":"西寨村","regions":["620723101201"]}]', 'active', '', ?, 'lz_duty')`,
				`INSERT INTO warnings (id, sender, identifier, sent, status, msg_type, scope, source, hazard, areas, state, cap, created_at, created_by) VALUES
 (2, 's', 'w2', ?, 'Actual', 'Alert', 'Public', 'json', 'rainstorm', '[{"desc":"a","regions":["620723000000"]},{"desc":"b","regions":["620702000000"]}]', 'active', '', ?, 'cli:x')`,
				`INSERT INTO warnings (id, sender, identifier, sent, status, msg_type, scope, source, hazard, areas, state, cap, created_at, created_by) VALUES
 (3, 's', 'w3', ?, 'Actual', 'Alert', 'Public', 'json', 'gale', '[{"desc":"画","polygons":[[[{"lon":100.1,"lat":39.1},{"lon":100.2,"lat":39.1},{"lon":100.2,"lat":39.2},{"lon":100.1,"lat":39.1}]]],"regions":["620723101201"]}]', 'active', '', ?, 'lz_duty')`,
				`INSERT INTO warnings (id, sender, identifier, sent, status, msg_type, scope, source, hazard, areas, state, cap, created_at, created_by) VALUES
 (4, 's', 'w4', ?, 'Actual', 'Cancel', 'Public', 'json', 'rainstorm', '[]', 'cancelled', '', ?, 'lz_duty')`,
				`INSERT INTO warnings (id, sender, identifier, sent, status, msg_type, scope, source, hazard, areas, state, cap, created_at, created_by) VALUES
 (5, 's', 'w5', ?, 'Actual', 'Cancel', 'Public', 'json', 'rainstorm', '[]', 'cancelled', '', ?, 'cli:x')`,
				`INSERT INTO contacts (id, kind, name, region_code, phone, created_by, created_at) VALUES (1, 'duty_officer', '值班', '620723101000', '13800138000', 'cli:x', ?)`,
			} {
				args := []any{now, now}
				if err := old.ExecForTest(ctx, q, args[:countPlaceholders(q)]...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			audit := []struct{ actor, action, entity, record, detail, want string }{
				{"lz_duty", "household.update", "household", "6207231012017777", "", "620723101201"},
				{"cli:x", "roster.export", "household", "620723", "format csv", "620723000000"},
				{"lz_duty", "member.upsert", "member", "620723101201777701", "", "620723101201"},
				{"lz_duty", "warning.create", "warning", "1", "", "620723101201"},
				{"cli:x", "exposure.compute", "warning", "2", "", "620700000000"},
				{"lz_duty", "contact.create", "contact", "1", "duty_officer 620723101000", "620723101000"},
				{"lz_duty", "contact.delete", "contact", "99", "620723101201", "620723101201"},
				{"cli:x", "user.create", "user", "lz_duty", "role county", "620723000000"},
				{"cli:x", "policy.create", "policy", "release.confirm_minutes.red", "620723000000 from 2026-01-01", "620723000000"},
				{"lz_duty", "template.save", "template", "3", "rainstorm ", backstop.NationalScope},
				{"lz_duty", "feed.create", "feed", "1", "https://x", "620723000000"}, // the actor's
				{"cli:x", "regions.import", "region", "", "", backstop.NationalScope},
				{"gone", "pii.reveal", "household", "not-a-number", "", backstop.NationalScope},
			}
			for _, a := range audit {
				if err := old.ExecForTest(ctx, `INSERT INTO audit_log (at, actor, action, entity, record, detail) VALUES (?, ?, ?, ?, ?, ?)`, now, a.actor, a.action, a.entity, a.record, a.detail); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()

			opt.StopAtVersion = 0
			db, err := sqlstore.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			admin := storetest.Admin()
			for id, want := range map[int64]string{1: "620723101201", 2: "620700000000", 3: backstop.NationalScope, 4: "620723000000", 5: backstop.NationalScope} {
				w, err := db.FindWarning(admin, id)
				if err != nil || w.Region != want {
					t.Errorf("warning %d: region %q (%v), want %s", id, w.Region, err, want)
				}
			}
			entries, _, err := db.FindAudit(admin, backstop.AuditFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(audit) {
				t.Fatalf("%d audit rows after the upgrade, want %d", len(entries), len(audit))
			}
			for i, e := range entries { // newest first
				a := audit[len(audit)-1-i]
				if e.Action != a.action || e.Region != a.want {
					t.Errorf("audit row %s %s: region %q, want %s", a.action, a.record, e.Region, a.want)
				}
			}
			if err := db.TamperAuditForTest(ctx); err == nil {
				t.Error("the audit trail can be changed after the upgrade")
			}
			ts, err := db.FindTemplates(admin)
			if err != nil || len(ts) == 0 {
				t.Fatalf("templates after the upgrade: %d, %v", len(ts), err)
			}
			for _, tm := range ts {
				if tm.Region != backstop.NationalScope {
					t.Errorf("seeded template %d has region %s", tm.ID, tm.Region)
				}
			}
			// The same hazard and level in a region of its own.
			lz := &backstop.MessageTemplate{Region: "620723", Hazard: ts[len(ts)-1].Hazard, Level: ts[len(ts)-1].Level, Text: "临泽县：{hazard}{level}预警"}
			if err := db.SaveTemplate(admin, lz); err != nil {
				t.Errorf("a county's template beside the national one: %v", err)
			}
		})
	}
}

func countPlaceholders(q string) int {
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
		}
	}
	return n
}
