package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestReturningStarIsSelectStar: RETURNING * lists what SELECT * lists,
// system columns included, and its _seq is the version SELECT then reads
// (what a live-query client resumes from). A generated key comes back as
// stored.
func TestReturningStarIsSelectStar(t *testing.T) {
	for _, slow := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow=%v", slow), func(t *testing.T) {
			e := newEnvWith(t, slow)
			r := e.root()
			r.must("CREATE NAMESPACE app")
			r.must("CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT, created TIMESTAMP DEFAULT NOW())")
			ins := r.must("INSERT INTO app.t (body) VALUES ('one') RETURNING *")[0]
			sel := r.must("SELECT * FROM app.t")[0]
			if got, want := columnNames(ins), columnNames(sel); got != want {
				t.Fatalf("RETURNING * columns %s, SELECT * columns %s", got, want)
			}
			if got, want := fmt.Sprint(ins.Rows), fmt.Sprint(sel.Rows); got != want {
				t.Fatalf("RETURNING * gave %s, SELECT * reads %s", got, want)
			}
			if ins.RowCount != 1 {
				t.Fatalf("row_count %d, want 1", ins.RowCount)
			}
			// The SNOWFLAKE_ID() the row got is the one returned.
			id := ins.Rows[0][0]
			if got := r.rows("SELECT body FROM app.t WHERE id = $1", id); got != `[["one"]]` {
				t.Fatalf("row by returned id: %s", got)
			}

			upd := r.must("UPDATE app.t SET body = 'two' RETURNING *")[0]
			sel = r.must("SELECT * FROM app.t")[0]
			if got, want := fmt.Sprint(upd.Rows), fmt.Sprint(sel.Rows); got != want {
				t.Fatalf("UPDATE RETURNING * gave %s, SELECT * reads %s", got, want)
			}
			if upd.Rows[0][3] == ins.Rows[0][3] {
				t.Fatalf("UPDATE returned the old _seq %v", upd.Rows[0][3])
			}

			del := r.must("DELETE FROM app.t RETURNING *")[0]
			sel = r.must("SELECT * FROM app.t WHERE _deleted = true")[0]
			if got, want := fmt.Sprint(del.Rows), fmt.Sprint(sel.Rows); got != want {
				t.Fatalf("DELETE RETURNING * gave %s, the tombstone is %s", got, want)
			}
			if del.Rows[0][4] != true {
				t.Fatalf("DELETE returned _deleted %v", del.Rows[0][4])
			}
		})
	}
}

func columnNames(r executor.Result) string {
	names := make([]string, len(r.Schema))
	for i, c := range r.Schema {
		names[i] = c.Name + ":" + c.DataType
	}
	return strings.Join(names, ",")
}

// TestReturningChangesNothingElse: a write with RETURNING commits the
// same changes (live subscribers see the same events) and answers the
// same row count as without.
func TestReturningChangesNothingElse(t *testing.T) {
	run := func(returning string) []string {
		e := newEnv(t)
		r := e.root()
		r.must("CREATE NAMESPACE app")
		r.must("CREATE USER TABLE app.t (id BIGINT PRIMARY KEY, v INT)")
		e.changes.reset()
		var counts []string
		for _, q := range []string{
			"INSERT INTO app.t (id, v) VALUES (1, 10), (2, 20), (3, 30)",
			"UPDATE app.t SET v = v + 1 WHERE id >= 2",
			"UPDATE app.t SET v = v WHERE id = 1",
			"DELETE FROM app.t WHERE id = 3",
			"INSERT INTO app.t (id, v) SELECT id + 10, v FROM app.t",
		} {
			res := r.must(q + returning)
			counts = append(counts, fmt.Sprint(res[0].RowCount))
		}
		var out []string
		for _, c := range e.changes.summary() {
			out = append(out, c)
		}
		return append(out, "counts "+strings.Join(counts, " "))
	}
	plain, with := run(""), run(" RETURNING id")
	if strings.Join(plain, "\n") != strings.Join(with, "\n") {
		t.Fatalf("changes without RETURNING:\n%s\nwith:\n%s", strings.Join(plain, "\n"), strings.Join(with, "\n"))
	}
}

// TestReturningUserPartitions: RETURNING reads only the partition the
// statement writes: the caller's, or the EXECUTE AS target's.
func TestReturningUserPartitions(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)")
	r.must("CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user")
	r.must("CREATE USER 'bob' WITH PASSWORD 'pw-bob' ROLE user")
	r.must("CREATE USER 'svc' WITH PASSWORD 'pw-svc' ROLE service")
	alice, bob, svc := e.user("alice"), e.user("bob"), e.user("svc")
	alice.must("INSERT INTO app.notes (id, body) VALUES (1, 'alice secret')")
	// The same key in another partition is another row.
	if got := bob.rows("INSERT INTO app.notes (id, body) VALUES (1, 'bob') RETURNING id, body"); got != `[[1,"bob"]]` {
		t.Fatalf("bob's insert returned %s", got)
	}
	if got := bob.rows("UPDATE app.notes SET body = body || '!' RETURNING body"); got != `[["bob!"]]` {
		t.Fatalf("bob's update returned %s", got)
	}
	if got := bob.rows("DELETE FROM app.notes WHERE id = 1 RETURNING body"); got != `[["bob!"]]` {
		t.Fatalf("bob's delete returned %s", got)
	}
	if got := svc.rows("EXECUTE AS USER 'alice' (UPDATE app.notes SET body = upper(body) RETURNING body)"); got != `[["ALICE SECRET"]]` {
		t.Fatalf("service as alice returned %s", got)
	}
	if got := svc.rows("EXECUTE AS USER 'bob' (DELETE FROM app.notes RETURNING body)"); got != `[]` {
		t.Fatalf("service as bob (nothing left) returned %s", got)
	}
	if got := alice.rows("SELECT body FROM app.notes"); got != `[["ALICE SECRET"]]` {
		t.Fatalf("alice reads %s", got)
	}
}

// TestReturningSharedAccess: RETURNING needs the write permission and no
// more; a role that may not write gets nothing back and changes nothing.
func TestReturningSharedAccess(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')")
	r.must("CREATE USER 'u' WITH PASSWORD 'pw-u' ROLE user")
	r.must("CREATE USER 'svc' WITH PASSWORD 'pw-svc' ROLE service")
	u, svc := e.user("u"), e.user("svc")
	if got := svc.rows("INSERT INTO app.pub (id, v) VALUES (1, 'a') RETURNING id, v"); got != `[[1,"a"]]` {
		t.Fatalf("service insert returned %s", got)
	}
	u.fails(apierror.PermissionDenied, "INSERT INTO app.pub (id, v) VALUES (2, 'b') RETURNING *")
	u.fails(apierror.PermissionDenied, "UPDATE app.pub SET v = 'x' RETURNING *")
	u.fails(apierror.PermissionDenied, "DELETE FROM app.pub RETURNING *")
	if got := u.rows("SELECT id, v FROM app.pub"); got != `[[1,"a"]]` {
		t.Fatalf("after refused writes: %s", got)
	}
}

// TestReturningBounded: the rows RETURNING answers with are bounded as a
// SELECT's are; a write whose answer is too large fails whole and writes
// nothing.
func TestReturningBounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxResultRows: 10, MaxResultBytes: 4 << 10}, engine.Limits{})
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)")
	var values []string
	for i := 0; i < 11; i++ {
		values = append(values, fmt.Sprintf("(%d, 'v')", i))
	}
	ins := "INSERT INTO app.t (id, v) VALUES " + strings.Join(values, ", ")
	r.fails(apierror.SQLExecutionError, ins+" RETURNING id")
	if got := r.rows("SELECT count(*) FROM app.t"); got != `[[0]]` {
		t.Fatalf("a failed INSERT ... RETURNING wrote %s rows", got)
	}
	r.fails(apierror.ResourceLimitExceeded, "INSERT INTO app.t (id, v) VALUES (1, repeat('x', 5000)) RETURNING v")
	if got := r.rows("SELECT count(*) FROM app.t"); got != `[[0]]` {
		t.Fatalf("a failed INSERT ... RETURNING wrote %s rows", got)
	}
	r.must(ins)
	r.fails(apierror.SQLExecutionError, "UPDATE app.t SET v = 'w' RETURNING id")
	r.fails(apierror.SQLExecutionError, "DELETE FROM app.t RETURNING id")
	if got := r.rows("SELECT count(*) FROM app.t WHERE v = 'v'"); got != `[[11]]` {
		t.Fatalf("failed UPDATE/DELETE ... RETURNING changed rows: %s left", got)
	}
}

// TestReturningShapes: tables without a primary key (a hidden identity),
// WITH queries, JSON values and DELETE with bind values.
func TestReturningShapes(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.log (msg TEXT, doc JSON)")
	if got := r.rows(`INSERT INTO app.log (msg, doc) VALUES ('a', '{"k": 1}'), ('b', NULL) RETURNING msg, doc, _seq > 0`); got != `[["a",{"k":1},true],["b",null,true]]` {
		t.Fatalf("insert without a key: %s", got)
	}
	if got := r.rows("UPDATE app.log SET msg = msg || '2' WHERE msg = 'a' RETURNING msg"); got != `[["a2"]]` {
		t.Fatalf("update without a key: %s", got)
	}
	if got := r.rows("DELETE FROM app.log WHERE msg = $1 RETURNING msg, _deleted", "b"); got != `[["b",true]]` {
		t.Fatalf("delete without a key: %s", got)
	}
	if got := r.rows("SELECT msg FROM app.log"); got != `[["a2"]]` {
		t.Fatalf("left: %s", got)
	}
	if got := r.rows("WITH src AS (SELECT 'w' AS m) INSERT INTO app.log (msg) SELECT m FROM src RETURNING msg"); got != `[["w"]]` {
		t.Fatalf("WITH ... INSERT: %s", got)
	}
	// The engine runs x IN (subquery) in an UPDATE's WHERE as a join
	// update, which has no RETURNING; EXISTS is planned without one.
	r.must("CREATE SHARED TABLE app.k (id INT PRIMARY KEY, m TEXT)")
	r.must("INSERT INTO app.k (id, m) VALUES (1, 'w'), (2, 'x')")
	for _, q := range []string{
		"WITH gone AS (SELECT 'w' AS m) DELETE FROM app.log WHERE msg IN (SELECT m FROM gone) RETURNING msg",
		"DELETE FROM app.k WHERE m IN (SELECT msg FROM app.log) RETURNING id",
		"UPDATE app.k SET m = 'y' WHERE m IN (SELECT msg FROM app.log) RETURNING id",
	} {
		if ae := r.fails(apierror.Unsupported, q); !strings.Contains(ae.Message, "EXISTS") {
			t.Fatalf("%s: %v", q, ae)
		}
	}
	if got := r.rows("UPDATE app.k SET m = m || '!' WHERE EXISTS (SELECT 1 FROM app.log WHERE log.msg = k.m) RETURNING id, m"); got != `[[1,"w!"]]` {
		t.Fatalf("UPDATE ... WHERE EXISTS: %s", got)
	}
	// Tables that are not KalamDB's fail as they do without RETURNING.
	r.fails(apierror.SQLExecutionError, "DELETE FROM system.users WHERE username = 'nobody' RETURNING *")
	r.fails(apierror.TableNotFound, "DELETE FROM app.nosuch RETURNING *")
	r.must("CREATE VIEW app.v AS SELECT msg FROM app.log")
	if ae := r.fails(apierror.Unsupported, "DELETE FROM app.v RETURNING msg"); !strings.Contains(ae.Message, "views are read-only") {
		t.Fatalf("DELETE from a view: %v", ae)
	}
	if got := r.rows("WITH gone AS (SELECT 'w' AS m) DELETE FROM app.log WHERE EXISTS (SELECT 1 FROM gone WHERE gone.m = log.msg) RETURNING msg"); got != `[["w"]]` {
		t.Fatalf("WITH ... DELETE: %s", got)
	}
	if got := r.rows("SELECT msg FROM app.log"); got != `[["a2"]]` {
		t.Fatalf("left: %s", got)
	}
}
