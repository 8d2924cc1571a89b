package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A column named twice in CREATE INDEX is accepted, as PostgreSQL accepts
// it (it was refused: "column a appears more than once in the index"),
// and the index answers as the table does without it, for rows written
// before the index was built and after.
func TestMsgs23DuplicateIndexColumn(t *testing.T) {
	e := newEnv(t)
	const cols = `(id BIGINT PRIMARY KEY, a INT, b TEXT, k INT)`
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.da " + cols + "; CREATE TABLE app.db " + cols)
	alice := e.as("alice", systable.RoleUser)
	const before = `VALUES (1, 1, 'x', 0), (2, 1, 'y', 0), (3, 2, 'x', 0), (4, NULL, 'x', 0), (5, 3, NULL, 0)`
	alice.must("INSERT INTO app.da " + before + "; INSERT INTO app.db " + before)
	createIndex(t, e, "CREATE INDEX db_aba ON app.db (a, b, a)")
	const after = `VALUES (6, 1, 'x', 0), (7, 2, 'z', 0)`
	alice.must("INSERT INTO app.da " + after + "; INSERT INTO app.db " + after)
	sameWithIndex(alice, "duplicate column", "app.db", "app.da", []string{
		"a = 1", "a = 1 AND b = 'x'", "a > 1", "a IN (1, 3)", "a IS NULL", "b = 'x'",
		"a >= 1 AND a < 3 AND b > 'x'",
	})
	if got, want := alice.rows("SELECT id FROM app.db WHERE a = 1 ORDER BY a, b DESC, id"), `[[2],[1],[6]]`; got != want {
		t.Errorf("ORDER BY over the index: %s, want %s", got, want)
	}
	// The index is usable: a lookup, not a scan.
	plan := alice.rows("EXPLAIN SELECT id FROM app.db WHERE a = 1 AND b = 'x'")
	if !strings.Contains(plan, "db_aba") {
		t.Errorf("the index is not used: %s", plan)
	}
}

// NOT NULL given twice on a column is accepted, as PostgreSQL accepts it
// (it was refused: "NOT NULL is given more than once"), and so is NULL
// twice; DEFAULT twice and NULL with NOT NULL stay refused.
func TestMsgs23RepeatedNullability(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must("CREATE TABLE app.n (id BIGINT PRIMARY KEY, a INT NOT NULL NOT NULL, b INT NULL NULL)")
	if _, err := root.exec("INSERT INTO app.n VALUES (1, NULL, 1)"); err == nil || !strings.Contains(err.Error(), "violates not-null constraint") {
		t.Errorf("NULL into a NOT NULL NOT NULL column: %v", err)
	}
	root.must("INSERT INTO app.n VALUES (1, 1, NULL)")
	root.fails(apierror.InvalidSQL, "CREATE TABLE app.m (id BIGINT PRIMARY KEY, a INT NOT NULL NULL)")
	root.fails(apierror.InvalidSQL, "CREATE TABLE app.m (id BIGINT PRIMARY KEY, a INT DEFAULT 1 DEFAULT 2)")
}

// A DEFAULT date or timestamp past year 9999 is refused because a column
// holds years 0001 to 9999 (docs/sql.md), and the message says so; it
// said "invalid input syntax for type date", which the text is not
// (PostgreSQL accepts it). The statement changes nothing.
func TestMsgs23DefaultPastYear9999(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.d (id BIGINT PRIMARY KEY)")
	for q, want := range map[string]string{
		`CREATE TABLE app.d1 (id BIGINT PRIMARY KEY, a DATE DEFAULT '10000-01-01')`:                `column a: DEFAULT value out of range for DATE: "10000-01-01" (a column holds years 0001 to 9999)`,
		`CREATE TABLE app.d2 (id BIGINT PRIMARY KEY, a TIMESTAMP DEFAULT ' 10000-01-01 00:00:00')`: `column a: DEFAULT value out of range for TIMESTAMP: " 10000-01-01 00:00:00" (a column holds years 0001 to 9999)`,
		`CREATE TABLE app.d3 (id BIGINT PRIMARY KEY, a DATETIME DEFAULT '123456-01-01')`:           `column a: DEFAULT value out of range for DATETIME: "123456-01-01" (a column holds years 0001 to 9999)`,
		`ALTER TABLE app.d ADD COLUMN a DATE DEFAULT '10000-01-01'`:                                `column a: DEFAULT value out of range for DATE: "10000-01-01" (a column holds years 0001 to 9999)`,
		// Text that is not a date stays invalid input syntax.
		`CREATE TABLE app.d4 (id BIGINT PRIMARY KEY, a DATE DEFAULT 'soon')`: `invalid input syntax for type date: "soon"`,
	} {
		if ae := root.fails(apierror.InvalidSQL, q); ae.Message != want {
			t.Errorf("%s:\n got %q\nwant %q", q, ae.Message, want)
		}
	}
	if got := root.rows("SELECT count(*) FROM system.tables WHERE namespace_id = 'app'"); got != `[[1]]` {
		t.Errorf("tables after the refusals: %s", got)
	}
}

// NULL on a primary key column is accepted, as PostgreSQL accepts it (it
// was refused: "primary key column 'id' cannot be NULL"); the key is NOT
// NULL all the same.
func TestMsgs23NullPrimaryKeyColumn(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must("CREATE TABLE app.k1 (id BIGINT NULL PRIMARY KEY, v INT)")
	root.must("CREATE TABLE app.k2 (id BIGINT NULL, v INT, PRIMARY KEY (id))")
	for _, tbl := range []string{"app.k1", "app.k2"} {
		if _, err := root.exec("INSERT INTO " + tbl + " VALUES (NULL, 1)"); err == nil || !strings.Contains(err.Error(), "violates not-null constraint") {
			t.Errorf("%s: NULL key: %v", tbl, err)
		}
		root.must("INSERT INTO " + tbl + " VALUES (1, 1)")
		if got := root.rows("SELECT id, v FROM " + tbl); got != `[[1,1]]` {
			t.Errorf("%s: %s", tbl, got)
		}
	}
}

// CREATE INDEX on a column the table does not have fails in PostgreSQL's
// words (it said "column nosuch does not exist in app.t").
func TestMsgs23IndexUnknownColumn(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT)")
	if ae := root.fails(apierror.InvalidSQL, "CREATE INDEX t_x ON app.t (a, nosuch)"); ae.Message != `column "nosuch" does not exist` {
		t.Errorf("message %q", ae.Message)
	}
}
