package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// DROP INDEX of an index that does not exist says so in PostgreSQL's
// words (it said "index nope does not exist in namespace app"), with the
// API's code for a named object that does not exist; IF EXISTS succeeds.
func TestMsgs24DropUnknownIndex(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT)")
	for _, q := range []string{"DROP INDEX app.nope", "DROP INDEX nope"} {
		root.ns = "app"
		if ae := root.fails(apierror.NotFound, q); ae.Message != `index "nope" does not exist` {
			t.Errorf("%s: %q", q, ae.Message)
		}
	}
	res := root.must("DROP INDEX IF EXISTS app.nope")
	if res[0].Message != `index "nope" does not exist, skipping` {
		t.Errorf("IF EXISTS: %+v", res[0])
	}
}
