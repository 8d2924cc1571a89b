package executor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestAttackLargeParameterGroupedBounded: grouping by a large parameter
// costs a few copies of it, not four a row: the engine hashed each row's
// keys by printing them (150 MB for 8 MB over 3 rows). It groups as any
// constant: one group of the rows there are.
func TestAttackLargeParameterGroupedBounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT);
		INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	const size = 8 << 20
	big := strings.Repeat("x", size)
	for _, s := range []struct {
		sql    string
		copies uint64
	}{
		{"SELECT $1 AS x, count(*) FROM app.t GROUP BY x", 6},
	} {
		root.must(s.sql, "warm")
		got := allocatedBy(func() { root.must(s.sql, big) })
		t.Logf("%s: %d MB for %d MB", s.sql, got>>20, size>>20)
		if bound := s.copies*size + 4<<20; got > bound {
			t.Errorf("%s: %d MB allocated for %d MB, want at most %d MB", s.sql, got>>20, size>>20, bound>>20)
		}
	}
	small := strings.Repeat("é", 10<<10)
	for q, want := range map[string]string{
		"SELECT $1 AS x, v, count(*) FROM app.t GROUP BY x, v ORDER BY v":          "",
		"SELECT $1 AS x, count(*) FROM app.t WHERE id < 0 GROUP BY x":              `[]`,
		"SELECT length(x), count(*) FROM (SELECT $1 AS x FROM app.t) s GROUP BY x": `[[10240,3]]`,
	} {
		got := root.rows(q, small)
		if want == "" {
			if lit := root.rows(strings.ReplaceAll(q, "$1", "'"+small+"'")); got != lit {
				t.Errorf("%s: got %.200s, want %.200s", q, got, lit)
			}
			continue
		}
		if got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}

// TestAttackLargeParameterDistinctBounded: SELECT DISTINCT of a large
// parameter hashed every row's value by printing it (sql.HashOf: 70 MB for
// 8 MB over 3 rows), as it did for a large column value (rowHasher).
func TestAttackLargeParameterDistinctBounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT);
		INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	const size = 8 << 20
	big := strings.Repeat("x", size)
	root.must("SELECT DISTINCT $1 FROM app.t", "warm")
	if got := allocatedBy(func() { root.must("SELECT DISTINCT $1 FROM app.t", big) }); got > 6*size {
		t.Errorf("%d MB allocated for %d MB", got>>20, size>>20)
	}
}

// TestAttackGroupByParameter: GROUP BY $1 groups by the parameter's value
// in PostgreSQL (a parameter is no constant position); it failed with the
// engine's MySQL message "expected integer order by literal", for a small
// value as for a large one.
func TestAttackGroupByParameter(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT);
		INSERT INTO app.t VALUES (1, 'a'), (2, 'b')`)
	if got := root.rows("SELECT count(*) FROM app.t GROUP BY $1", "s"); got != `[[2]]` {
		t.Errorf("got %s, want [[2]]", got)
	}
}
