package executor_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// TestAttackLargeParameterPlanCache: one statement text run with small,
// large and small values again (the cached translation and fast-path
// plan are shared) answers each value as its own.
func TestAttackLargeParameterPlanCache(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, w TEXT);
		CREATE INDEX t_w ON app.t (w);
		CREATE TABLE app.k (k TEXT PRIMARY KEY, n BIGINT)`)
	big := strings.Repeat("ü", 9<<10) + "!"
	big2 := strings.Repeat("ü", 9<<10) + "?"
	root.must("INSERT INTO app.t VALUES (1, $1, $1)", "s")
	root.must("INSERT INTO app.t VALUES (2, $1, NULL)", big)
	root.must("UPDATE app.t SET w = v WHERE id = 2")
	root.must("INSERT INTO app.k VALUES ($1, 1)", "s")
	root.must("INSERT INTO app.k VALUES ($1, 2)", big)
	type run struct{ v, want string }
	seq := []run{{"s", "[[1]]"}, {big, "[[2]]"}, {"s", "[[1]]"}, {big2, "[]"}, {big, "[[2]]"}, {"t", "[]"}}
	for _, q := range []string{
		"SELECT id FROM app.t WHERE w = $1",
		"SELECT id FROM app.t WHERE v = $1",
		"SELECT id FROM app.t WHERE w = $1 AND id > 0",
		"SELECT n FROM app.k WHERE k = $1",
		"SELECT id FROM app.t WHERE v IN ($1, 'zz')",
		"SELECT id FROM app.t WHERE v LIKE $1",
	} {
		for i, r := range seq {
			if got := root.rows(q, r.v); got != r.want {
				t.Errorf("%s, run %d (%d bytes): got %s, want %s", q, i, len(r.v), got, r.want)
			}
			if i == 1 {
				root.explain(q, r.v)
			}
		}
	}
	for i, r := range []run{{"s", `[["s"]]`}, {big, `[["` + big + `"]]`}, {"s", `[["s"]]`}} {
		if got := root.rows("SELECT $1", r.v); got != r.want {
			t.Errorf("SELECT $1, run %d: got %.100s", i, got)
		}
	}
	// A large bytea written as hex text, NUL bytes and all, reads back
	// byte for byte, and is found by it through the primary key.
	raw := make([]byte, 20<<10)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	text := `\x` + hex.EncodeToString(raw)
	root.must("CREATE TABLE app.b (b BYTEA PRIMARY KEY, n BIGINT)")
	root.must("INSERT INTO app.b VALUES ($1, 1)", text)
	want := `[["` + base64.StdEncoding.EncodeToString(raw) + `"]]`
	if got := root.rows("SELECT b FROM app.b WHERE b = $1", text); got != want {
		t.Errorf("bytea read back: got %.100s (%d bytes), want %d bytes", got, len(got), len(want))
	}
	// $1::bytea of a large text is folded into bytes, which were read
	// again as bytea input text ("invalid input syntax for type bytes"),
	// also when the bytes are under the large size and the text over it.
	for _, n := range []int{20 << 10, 16<<10 - 1} {
		text := `\x` + hex.EncodeToString(raw[:n])
		root.must("DELETE FROM app.b")
		root.must("INSERT INTO app.b VALUES ($1, 1)", text)
		for _, q := range []string{"SELECT n FROM app.b WHERE b = $1::bytea", "SELECT n FROM app.b WHERE b >= CAST($1 AS bytea)"} {
			if got := root.rows(q, text); got != `[[1]]` {
				t.Errorf("%s, %d bytes: got %s", q, n, got)
			}
		}
	}
}
