package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestStatementsFollowTheirRequestsNamespace: the engine's sessions are
// pooled and keep their current namespace between statements, so each
// statement must start in its own request's namespace: unqualified names
// resolve there, and with none selected they do not resolve at all, even
// after a statement whose qualified table selected one for its own run.
func TestStatementsFollowTheirRequestsNamespace(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE a; CREATE NAMESPACE b;
		CREATE SHARED TABLE a.t (id INT PRIMARY KEY, v TEXT); CREATE SHARED TABLE b.t (id INT PRIMARY KEY, v TEXT)`)
	e.root().must("INSERT INTO a.t VALUES (1, 'in a'); INSERT INTO b.t VALUES (1, 'in b')")
	inA, inB, none := e.root(), e.root(), e.root()
	inA.ns, inB.ns = "a", "b"
	for range 20 {
		if got := inA.rows("SELECT v FROM t WHERE id = 1"); got != `[["in a"]]` {
			t.Fatalf("namespace a: %s", got)
		}
		if got := inB.rows("SELECT v FROM t WHERE id = 1"); got != `[["in b"]]` {
			t.Fatalf("namespace b: %s", got)
		}
		if got := none.rows("SELECT v FROM b.t WHERE id = 1"); got != `[["in b"]]` {
			t.Fatalf("qualified: %s", got)
		}
		none.fails(apierror.TableNotFound, "SELECT v FROM t WHERE id = 1")
		inA.must("INSERT INTO t VALUES (2, 'x')")
		inA.must("DELETE FROM t WHERE id = 2")
	}
}
