package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// An interval whose hours wrapped was a short one: '5124095577:00' read
// as 58 minutes, so this DELETE, meant for rows older than 584,000 years
// (none), removed every row older than an hour. It fails now, as in
// PostgreSQL, and deletes nothing. Failed before: the DELETE succeeded.
func TestDeleteWithIntervalPastRangeDeletesNothing(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE n`)
	root.must(`CREATE TABLE n.t (id BIGINT PRIMARY KEY, at TIMESTAMP) WITH (TYPE = 'SHARED')`)
	root.must(`INSERT INTO n.t (id, at) VALUES (1, now() - INTERVAL '2 hours'), (2, now())`)
	ae := root.fails(apierror.SQLExecutionError, `DELETE FROM n.t WHERE at < now() - INTERVAL '5124095577:00'`)
	if want := `interval field value out of range: "5124095577:00"`; ae.Message != want {
		t.Errorf("message %q, want %q", ae.Message, want)
	}
	if got := root.rows(`SELECT id FROM n.t ORDER BY id`); got != `[[1],[2]]` {
		t.Errorf("rows after the DELETE: %s", got)
	}
}
