package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// openAtSchema opens a new database of engine migrated up to version only,
// for a test to write rows as that schema holds them; opening opt again
// with StopAtVersion 0 upgrades it.
func openAtSchema(t *testing.T, engine string, version int) (*sqlstore.DB, sqlstore.Options) {
	t.Helper()
	opt := sqlstore.Options{DataDir: t.TempDir(), StopAtVersion: version}
	if engine == "postgres" {
		opt.URL = storetest.PostgresURL(t)
	}
	db, err := sqlstore.Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db.SchemaVersion(context.Background()); v != version {
		t.Fatalf("schema version %d, want %d", v, version)
	}
	return db, opt
}

// writeOldRegions writes the template roster's village and its parents as
// every schema since 1 holds them (the store's own writes are for the
// current schema).
func writeOldRegions(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO regions (code, name, level, parent_code, updated_at) VALUES ('620000000000', '甘肃省', 1, NULL, ?)`,
		`INSERT INTO regions (code, name, level, parent_code, updated_at) VALUES ('620700000000', '张掖市', 2, '620000000000', ?)`,
		`INSERT INTO regions (code, name, level, parent_code, updated_at) VALUES ('620723000000', '临泽县', 3, '620700000000', ?)`,
		`INSERT INTO regions (code, name, level, parent_code, updated_at) VALUES ('620723101000', '沙河镇', 4, '620723000000', ?)`,
		`INSERT INTO regions (code, name, level, parent_code, updated_at) VALUES ('620723101201', '西寨村', 5, '620723101000', ?)`,
	} {
		if err := db.ExecForTest(context.Background(), q, time.Now().UTC()); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestUpgradeKeepsMemberDetails: people written under schema 4, with one
// column per descriptive field, read the same after the migration that
// packs those fields into one.
func TestUpgradeKeepsMemberDetails(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			old, opt := openAtSchema(t, engine, 4)
			if v, _ := old.SchemaVersion(ctx); v != 4 {
				t.Fatalf("schema version %d, want 4", v)
			}
			writeOldRegions(t, old)
			for _, q := range []string{
				`INSERT INTO households (id, number, village_code, size, people, row_hash, rev, created_at, updated_at) VALUES (1, '6207231012017777', '620723101201', 2, 2, 0, 1, ?, ?)`,
				`INSERT INTO members (household_id, number, name, id_number, relation, ethnicity, education, school_status, health, labour, migrant_months, illness_insured, poverty_cause, phone, first_identified_on, identified_on, birth_date, disabled, row_hash, created_at, updated_at)
 VALUES (1, '620723101201777701', '马福林', '620722197509140617', '户主', '回族', '初中', '非在校生', '残疾', '普通劳动力', 9, TRUE, '因"灾"', '13893653028', '2016-06-01', '2016-06-02', '1975-09-14', TRUE, 0, ?, ?)`,
				`INSERT INTO members (household_id, number, name, id_number, relation, row_hash, created_at, updated_at) VALUES (1, '620723101201777702', '马艳', '620722197804216434', '配偶', 0, ?, ?)`,
			} {
				now := time.Now().UTC()
				if err := old.ExecForTest(ctx, q, now, now); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			old.Close()

			opt.StopAtVersion = 0
			db, err := sqlstore.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			h, err := db.FindHousehold(storetest.Admin(), "6207231012017777")
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Members) != 2 {
				t.Fatalf("%d members", len(h.Members))
			}
			m := h.Members[0]
			if m.Ethnicity != "回族" || m.Education != "初中" || m.SchoolStatus != "非在校生" || m.Health != "残疾" || m.Labour != "普通劳动力" ||
				m.MigrantMonths == nil || *m.MigrantMonths != 9 || m.IllnessInsured == nil || !*m.IllnessInsured || m.PovertyCause != `因"灾"` ||
				m.Phone != "13893653028" || m.FirstIdentified != "2016-06-01" || m.Identified != "2016-06-02" || !m.Disabled {
				t.Errorf("after the upgrade: %+v", *m)
			}
			if o := h.Members[1]; o.Name != "马艳" || o.Ethnicity != "" || o.MigrantMonths != nil || o.IllnessInsured != nil {
				t.Errorf("a person without details: %+v", *o)
			}
		})
	}
}

// TestNewSQLiteFilePageSize: a new file gets 16 KiB pages, and keeps them
// when opened again (the page size is set only when the file is made).
func TestNewSQLiteFilePageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.QueryIntForTest(ctx, `PRAGMA page_size`)
	if err != nil || ps != 16384 {
		t.Errorf("page size %d (%v), want 16384", ps, err)
	}
	db.Close()
	db, err = sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ps, _ := db.QueryIntForTest(ctx, `PRAGMA page_size`); ps != 16384 {
		t.Errorf("page size after reopening %d", ps)
	}
}
