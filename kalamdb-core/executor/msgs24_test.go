package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// NOT NULL DEFAULT NULL is accepted at CREATE TABLE, as PostgreSQL
// accepts it (it was refused: "column 'c' is NOT NULL but its DEFAULT is
// NULL"); an INSERT that leaves the column out then fails as one that
// writes NULL into it, on the fast path, through the engine and on a
// cached plan. A key column with DEFAULT NULL is the same.
func TestMsgs24NotNullDefaultNull(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must("CREATE TABLE app.t (id BIGINT PRIMARY KEY, c INT NOT NULL DEFAULT NULL, d INT)")
	root.must("CREATE TABLE app.k (id BIGINT PRIMARY KEY DEFAULT NULL, d INT)")
	const want = `null value in column "c" violates not-null constraint`
	for _, q := range []string{
		"INSERT INTO app.t (id, d) VALUES (1, 1)",
		"INSERT INTO app.t (id, d) VALUES (1, 1)", // cached
		"INSERT INTO app.t (id) VALUES (1)",
		"INSERT INTO app.t (id, d) SELECT 1, 2",
		"INSERT INTO app.t VALUES (1)",
	} {
		if ae := root.fails(apierror.InvalidInput, q); ae.Message != want {
			t.Errorf("%s: %q, want %q", q, ae.Message, want)
		}
	}
	if ae := root.fails(apierror.InvalidInput, "INSERT INTO app.t (id, d) VALUES ($1, $2)", 1, 1); ae.Message != want {
		t.Errorf("with parameters: %q, want %q", ae.Message, want)
	}
	if ae := root.fails(apierror.InvalidInput, "INSERT INTO app.k (d) VALUES (1)"); ae.Message != `null value in column "id" violates not-null constraint` {
		t.Errorf("key: %q", ae.Message)
	}
	root.must("INSERT INTO app.t (id, c) VALUES (1, 5)")
	if got := root.rows("SELECT id, c, d FROM app.t"); got != `[[1,5,null]]` {
		t.Errorf("rows: %s", got)
	}
	if got := root.rows("SELECT column_default, is_nullable FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'"); got != `[["NULL","NO"]]` {
		t.Errorf("information_schema: %s", got)
	}
}

// DEFAULTs written as constant expressions or typed literals are
// accepted and store their value (they were refused: "unsupported
// DEFAULT value"), through every insert path and after a restart;
// DESCRIBE and information_schema show them as written.
func TestMsgs24DefaultExpressions(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must(`CREATE TABLE app.d (id BIGINT PRIMARY KEY,
		a TIMESTAMP DEFAULT TIMESTAMP '2020-01-01 00:00:00',
		b INT DEFAULT '5'::int,
		c BIGINT DEFAULT CAST('5' AS BIGINT),
		d INT DEFAULT -1,
		e INT DEFAULT 1 + 1,
		f TEXT DEFAULT 'a' || 'b',
		g DATE DEFAULT DATE '2020-01-01',
		h SMALLINT DEFAULT (2 + 3) * 4,
		i BOOLEAN DEFAULT 'yes'::boolean,
		j VARCHAR(3) DEFAULT 'x' || 1,
		k TIMESTAMP DEFAULT DATE '2021-02-03',
		l DATE DEFAULT TIMESTAMP '2022-03-04 05:06:07',
		m TEXT DEFAULT 5::text,
		n INT NOT NULL DEFAULT 10 / 3)`)
	const want = `[[1,1577836800000,5,5,-1,2,"ab","2020-01-01",20,true,"x1",1612310400000,"2022-03-04","5",3]]`
	check := func(when string) {
		t.Helper()
		if got := root.rows("SELECT id, a, b, c, d, e, f, g, h, i, j, k, l, m, n FROM app.d ORDER BY id"); got != want {
			t.Errorf("%s:\n got %s\nwant %s", when, got, want)
		}
	}
	root.must("INSERT INTO app.d (id) VALUES (1)")
	check("fast path")
	root.must("DELETE FROM app.d WHERE id = 1")
	root.must("INSERT INTO app.d (id) SELECT 1")
	check("engine")
	root.must("DELETE FROM app.d WHERE id = 1")
	root.must("INSERT INTO app.d (id) VALUES ($1)", 1)
	check("parameters")
	describe := root.rows("SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'd' AND column_name IN ('a', 'e', 'f') ORDER BY column_name")
	const wantDescribe = `[["a","TIMESTAMP '2020-01-01 00:00:00'"],["e","1 + 1"],["f","'a' || 'b'"]]`
	if describe != wantDescribe {
		t.Errorf("information_schema:\n got %s\nwant %s", describe, wantDescribe)
	}
	e.reopen()
	root = e.root()
	root.must("DELETE FROM app.d WHERE id = 1")
	root.must("INSERT INTO app.d (id) VALUES (1)")
	check("after a restart")
	root.must("ALTER TABLE app.d ADD COLUMN o INT DEFAULT 6 * 7")
	if got := root.rows("SELECT o FROM app.d"); got != `[[42]]` {
		t.Errorf("added column: %s", got)
	}
}

// A DEFAULT expression its column cannot take is refused in PostgreSQL's
// words, and the statement creates nothing.
func TestMsgs24DefaultExpressionErrors(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	for q, want := range map[string]string{
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a TIMESTAMP DEFAULT INTERVAL '1 day')": `column "a" is of type timestamp without time zone but default expression is of type interval`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a INT DEFAULT 'a' || 'b')":             `column "a" is of type integer but default expression is of type text`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a INT DEFAULT DATE '2020-01-01')":      `column "a" is of type integer but default expression is of type date`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a BOOLEAN DEFAULT 1 + 1)":              `column "a" is of type boolean but default expression is of type integer`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a SMALLINT DEFAULT 100000 + 1)":        `smallint out of range`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a VARCHAR(2) DEFAULT 'a' || 'bc')":     `value too long for type character varying(2)`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, a TIMESTAMP DEFAULT TIMESTAMP 'x')":    `invalid input syntax for type timestamp: "x"`,
		"CREATE TABLE app.x (id BIGINT PRIMARY KEY, b INT, a INT DEFAULT b + 1)":           `cannot use column reference in DEFAULT expression`,
	} {
		if ae := root.fails(apierror.InvalidSQL, q); ae.Message != want {
			t.Errorf("%s:\n got %q\nwant %q", q, ae.Message, want)
		}
	}
	if got := root.rows("SELECT count(*) FROM system.tables WHERE namespace_id = 'app'"); got != `[[0]]` {
		t.Errorf("tables after the refusals: %s", got)
	}
}
