package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// FROM dual is MySQL's one-row table; PostgreSQL has no such table. Without
// a namespace the engine answered "no database selected" (MySQL's text,
// SQL_EXECUTION_ERROR), where every other unqualified name is
// TABLE_NOT_FOUND saying that no namespace is selected; with one it is an
// unknown table like any other.
func TestDocsReview20FromDualIsAnUnknownTable(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{`SELECT 1 FROM dual`, `SELECT * FROM DUAL d`, `SELECT 1 FROM "dual"`} {
		ae := e.root().fails(apierror.TableNotFound, q)
		if !strings.Contains(ae.Message, "table dual does not exist: no namespace is selected") {
			t.Errorf("%s: %q", q, ae.Message)
		}
	}
	e.root().must(`SELECT 1`)
}
