package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// deferredConstraints are secondary indexes and foreign keys of the
// registry tables, dropped inside an initial-load transaction and rebuilt
// (and so re-validated) before it commits, as bulk loaders do: a sorted
// build is far cheaper than a million single inserts, and on PostgreSQL
// the per-row foreign-key triggers are the largest cost of a load.
type deferredConstraints struct {
	keys    []string // PostgreSQL: primary and unique keys (ALTER TABLE … ADD CONSTRAINT)
	indexes []string // CREATE INDEX statements
	fkeys   []string // ALTER TABLE … ADD CONSTRAINT statements
}

var registryTables = []string{"households", "members", "household_history"}

func (db *DB) deferConstraints(ctx context.Context, tx *sql.Tx) (*deferredConstraints, error) {
	d := &deferredConstraints{}
	var drops []string
	if db.dialect == SQLite {
		rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('households', 'members', 'household_history')`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			drops, d.indexes = append(drops, `DROP INDEX `+name), append(d.indexes, def)
		}
		rows.Close()
	} else {
		// Other sessions wait while the tables are locked for this; an
		// empty registry has little to read. Give up the shortcut rather
		// than wait long for a lock.
		if _, err := tx.ExecContext(ctx, `SAVEPOINT defer_constraints; SET LOCAL lock_timeout = '5s'`); err != nil {
			return nil, err
		}
		// The keys of households and members too: the writer hands out
		// their ids and the importer has refused duplicate numbers, and
		// keeping two unique b-trees in step row by row was a third of the
		// server's time in the load. Foreign keys go first (they need the
		// keys) and come back last.
		rows, err := tx.QueryContext(ctx, `SELECT c.contype, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
 WHERE (c.contype = 'f' AND c.conrelid::regclass::text = ANY($1)) OR (c.contype IN ('p', 'u') AND c.conrelid::regclass::text IN ('households', 'members'))
 ORDER BY c.contype = 'f' DESC, c.conname`, registryTables)
		if err != nil {
			return nil, err
		}
		var keyDrops []string
		for rows.Next() {
			var kind, table, name, def string
			if err := rows.Scan(&kind, &table, &name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			drop, add := `ALTER TABLE `+table+` DROP CONSTRAINT `+name, `ALTER TABLE `+table+` ADD CONSTRAINT `+name+` `+def
			if kind == "f" {
				drops, d.fkeys = append(drops, drop), append(d.fkeys, add)
			} else {
				keyDrops, d.keys = append(keyDrops, drop), append(d.keys, add)
			}
		}
		rows.Close()
		drops = append(drops, keyDrops...)
		rows, err = tx.QueryContext(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
 WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, registryTables)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			drops, d.indexes = append(drops, `DROP INDEX `+name), append(d.indexes, def)
		}
		rows.Close()
	}
	for _, q := range drops {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			if db.dialect == Postgres {
				if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT defer_constraints`); rerr == nil {
					db.logger.Warn("initial load keeps its indexes: tables are busy", "err", err)
					return nil, nil
				}
			}
			return nil, err
		}
	}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT defer_constraints`); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// restore rebuilds the keys, indexes and foreign keys, in that order; a
// violation fails the import, which then rolls back whole.
func (d *deferredConstraints) restore(ctx context.Context, tx *sql.Tx) error {
	for _, q := range slices.Concat(d.keys, d.indexes, d.fkeys) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuild after initial load (%s): %w", q, err)
		}
	}
	return nil
}
