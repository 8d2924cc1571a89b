package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// engineKeysTable has columns whose values send an INSERT to the engine
// rather than the fast path (a NULL, a boolean, NOW()).
const engineKeysTable = "CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT, n BIGINT, ok BOOLEAN, at TIMESTAMP) WITH (TYPE = 'SHARED')"

// TestEngineInsertsFlagOnlyTheirOwnIssuedKey: an INSERT the engine plans
// skips its key's duplicate check only for the id SNOWFLAKE_ID() issued
// for that very row. An id issued by an earlier statement, one copied to
// two rows, or a key named in the statement, counts as explicit: the
// table is marked, or the statement fails as a duplicate and writes
// nothing.
func TestEngineInsertsFlagOnlyTheirOwnIssuedKey(t *testing.T) {
	newTable := func(t *testing.T) (*env, *caller) {
		e := newEnv(t)
		root := e.root()
		root.must("CREATE NAMESPACE app; " + engineKeysTable)
		return e, root
	}
	t.Run("rows of one engine INSERT each take their own id", func(t *testing.T) {
		e, root := newTable(t)
		root.must("INSERT INTO app.t (body, n) VALUES ('a', NULL), ('b', NULL), ('c', NULL)")
		if got := root.rows("SELECT COUNT(*), COUNT(DISTINCT id) FROM app.t"); got != "[[3,3]]" {
			t.Fatalf("rows: %s", got)
		}
		t.Logf("clean after a multi-row engine INSERT: %v", keysClean(t, e, "app", "t"))
	})
	t.Run("an id issued by an earlier statement", func(t *testing.T) {
		e, root := newTable(t)
		id := root.must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64)
		root.must("INSERT INTO app.t (id, body, n) VALUES ($1, 'explicit', $2)", id, nil)
		if keysClean(t, e, "app", "t") {
			t.Fatal("a key issued by an earlier statement did not mark the table")
		}
	})
	t.Run("an id issued in the statement, named for the key", func(t *testing.T) {
		e, root := newTable(t)
		// The key is computed from the id issued, not the id itself.
		root.must("INSERT INTO app.t (id, body, n) SELECT SNOWFLAKE_ID() - 1, 'explicit', NULL")
		if keysClean(t, e, "app", "t") {
			t.Fatal("a key computed from an issued id did not mark the table")
		}
	})
	t.Run("one issued id copied to two rows", func(t *testing.T) {
		e, root := newTable(t)
		ae := root.fails(apierror.InvalidInput,
			"INSERT INTO app.t (id, body, n) SELECT s.k, v.b, NULL FROM (SELECT SNOWFLAKE_ID() AS k) s CROSS JOIN (SELECT 'a' AS b UNION ALL SELECT 'b') v")
		if !strings.Contains(ae.Message, "duplicate primary key id = ") {
			t.Fatalf("the second row of one issued id: %s", ae.Message)
		}
		if got := root.rows("SELECT COUNT(*) FROM app.t"); got != "[[0]]" {
			t.Fatalf("the failed statement wrote rows: %s", got)
		}
		if !keysClean(t, e, "app", "t") {
			t.Fatal("a statement that wrote nothing marked the table")
		}
	})
	t.Run("a named key with a NULL parameter", func(t *testing.T) {
		e, root := newTable(t)
		root.must("INSERT INTO app.t (id, body, n) VALUES ($1, 'explicit', $2)", 12345, nil)
		if keysClean(t, e, "app", "t") {
			t.Fatal("a named key did not mark the table")
		}
	})
	t.Run("SNOWFLAKE_ID() given as the key's value", func(t *testing.T) {
		// The id is the generator's, issued for this row: as good as the
		// DEFAULT.
		e, root := newTable(t)
		root.must("INSERT INTO app.t (id, body, n) VALUES (SNOWFLAKE_ID(), 'x', NULL)")
		if !keysClean(t, e, "app", "t") {
			t.Fatal("an id SNOWFLAKE_ID() issued for the row marked the table")
		}
	})
}
