package sqlstore

import "context"

// TamperAuditForTest tries what the application never does: change an
// audit row. The conformance suite checks that the database refuses.
func (db *DB) TamperAuditForTest(ctx context.Context) error {
	_, err := db.write.ExecContext(ctx, `UPDATE audit_log SET actor = 'someone else'`)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `DELETE FROM audit_log`)
	return err
}

// ExecForTest runs a statement as it is, for tests that write what the
// application no longer writes (rows of an older schema).
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, db.q(query), args...)
	return err
}

// QueryIntForTest reads one number, for tests that check the database's
// own settings.
func (db *DB) QueryIntForTest(ctx context.Context, query string) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}
