package sqlstore

import (
	"slices"
	"testing"
)

// TestMigrationVersionsAlign holds the rule that a migration has the same
// version number on SQLite and PostgreSQL, so that "schema 7" means the
// same thing on both engines.
func TestMigrationVersionsAlign(t *testing.T) {
	versions := func(d Dialect) []int {
		ms, err := (&DB{dialect: d}).migrations()
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for i, m := range ms {
			if i > 0 && ms[i-1].version == m.version {
				t.Errorf("%s: two migrations with version %d", d, m.version)
			}
			out = append(out, m.version)
		}
		return out
	}
	lite, pg := versions(SQLite), versions(Postgres)
	if !slices.Equal(lite, pg) {
		t.Fatalf("migration versions differ: sqlite %v, postgres %v", lite, pg)
	}
	for i, v := range lite {
		if v != i+1 {
			t.Fatalf("migration versions must run 1, 2, 3 … without gaps: %v", lite)
		}
	}
}
