package executor_test

import "testing"

// A BIGINT DEFAULT beyond 2^53 keeps its value across a restart: the
// catalog stores the schema as JSON, which read every number back as a
// float64, so after a restart the rows written before the ADD COLUMN and
// every later insert read 9223372036854775807 as -9223372036854775808
// and 9007199254740993 as 9007199254740992 (they did, before). Hot and
// cold rows alike.
func TestReview24BigIntDefaultSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must("CREATE TABLE app.t (id BIGINT PRIMARY KEY, d INT, c BIGINT DEFAULT -9007199254740993)")
	root.must("INSERT INTO app.t (id, d) VALUES (1, 1)")
	flushTable(t, e, "app.t")
	root.must("INSERT INTO app.t (id, d) VALUES (2, 2)")
	root.must("ALTER TABLE app.t ADD COLUMN f BIGINT DEFAULT 9223372036854775807")
	root.must("ALTER TABLE app.t ADD COLUMN g BIGINT DEFAULT 9007199254740992 + 1")
	root.must("ALTER TABLE app.t ADD COLUMN h DOUBLE PRECISION DEFAULT 2.5")
	const q = "SELECT id, c, f, g, h FROM app.t ORDER BY id"
	const want = `[[1,-9007199254740993,9223372036854775807,9007199254740993,2.5],[2,-9007199254740993,9223372036854775807,9007199254740993,2.5]]`
	if got := root.rows(q); got != want {
		t.Fatalf("before the restart: %s, want %s", got, want)
	}
	e.reopen()
	root = e.root()
	if got := root.rows(q); got != want {
		t.Errorf("after a restart: %s, want %s", got, want)
	}
	root.must("INSERT INTO app.t (id, d) VALUES (3, 3)")
	if got := root.rows("SELECT c, f, g FROM app.t WHERE id = 3"); got != `[[-9007199254740993,9223372036854775807,9007199254740993]]` {
		t.Errorf("inserted after a restart: %s", got)
	}
}
