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
