package executor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// hugeSeries would count for centuries: every test below must stop it.
const hugeSeries = "generate_series(1, 9000000000000000000)"

// TestSeriesStopsAtTimeLimit: a series is produced row by row under the
// statement's time limit (the user role's here), wherever it is read.
func TestSeriesStopsAtTimeLimit(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: time.Hour, User: time.Second}})
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT count(*) FROM " + hugeSeries,
		"SELECT * FROM " + hugeSeries + " g WHERE g < 0",
		"SELECT max(g) FROM " + hugeSeries + " g",
		"SELECT * FROM " + hugeSeries + " a JOIN generate_series(1, 2) b ON a = b AND a < 0",
		"SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b",
	} {
		alice.failsNaming(apierror.QueryTimeout, "1s", q)
	}
	// Streaming: the first rows of a huge series come at once.
	if got := alice.rows("SELECT * FROM " + hugeSeries + " LIMIT 3"); got != `[[1],[2],[3]]` {
		t.Fatalf("LIMIT over a huge series: %s", got)
	}
}

// TestSeriesCancelled: cancelling the request's context ends a series.
func TestSeriesCancelled(t *testing.T) {
	e := newEnv(t)
	cancelEnds(t, e.as("alice", systable.RoleUser), "SELECT count(*) FROM "+hugeSeries)
}

// TestSeriesChargedToMemoryBudget: operators that keep a series's rows
// charge them as they charge a table's.
func TestSeriesChargedToMemoryBudget(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 1 << 20})
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.filled (id BIGINT PRIMARY KEY)")
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		// Test data: the rows a statement writes are charged too.
		"INSERT INTO app.filled SELECT g FROM " + hugeSeries + " g",
		"SELECT * FROM " + hugeSeries + " g ORDER BY g DESC",
		"SELECT g, count(*) FROM " + hugeSeries + " g GROUP BY g HAVING count(*) > 1",
		"SELECT count(DISTINCT g) FROM " + hugeSeries + " g",
		"SELECT count(*) FROM " + hugeSeries + " a JOIN " + hugeSeries + " b ON a = b + 1",
		"SELECT json_array_length(array_agg(g)) FROM " + hugeSeries + " g",
	} {
		alice.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
	}
	if got := alice.rows("SELECT count(*), sum(g) FROM generate_series(1, 100000) g"); got != `[[100000,5000050000]]` {
		t.Fatalf("a series within the budget: %s", got)
	}
	alice.must("INSERT INTO app.filled SELECT g FROM generate_series(1, 1000) g")
	if got := alice.rows("SELECT count(*) FROM app.filled"); got != `[[1000]]` {
		t.Fatalf("test data within the budget: %s", got)
	}
}

// TestSeriesNearIntegerBounds: a step that would pass the int64 range
// ends the series instead of wrapping around into an endless or wrong one.
func TestSeriesNearIntegerBounds(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	for q, want := range map[string]string{
		"SELECT * FROM generate_series(9223372036854775805, 9223372036854775807)":                         `[[9223372036854775805],[9223372036854775806],[9223372036854775807]]`,
		"SELECT * FROM generate_series(9223372036854775805, 9223372036854775807, 2)":                      `[[9223372036854775805],[9223372036854775807]]`,
		"SELECT * FROM generate_series(9223372036854775806, 9223372036854775807, 9223372036854775807)":    `[[9223372036854775806]]`,
		"SELECT * FROM generate_series(-9223372036854775806, -9223372036854775808, -1)":                   `[[-9223372036854775806],[-9223372036854775807],[-9223372036854775808]]`,
		"SELECT * FROM generate_series(-9223372036854775807, -9223372036854775808, -9223372036854775807)": `[[-9223372036854775807]]`,
		"SELECT * FROM generate_series(-9223372036854775808, 9223372036854775807, 9223372036854775807)":   `[[-9223372036854775808],[-1],[9223372036854775806]]`,
		"SELECT * FROM generate_series(2147483645, 2147483647, 2)":                                        `[[2147483645],[2147483647]]`,
		"SELECT * FROM generate_series(1, 3, 2147483647)":                                                 `[[1]]`,
	} {
		if got := alice.rows(q); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}

// TestSetReturningFunctionPermissions: any user may call a
// set-returning function, without a namespace; a subquery in its
// arguments reads tables with the caller's permissions, as anywhere.
func TestSetReturningFunctionPermissions(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.secret (id INT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'PRIVATE');
		INSERT INTO app.secret VALUES (1, 'x'), (2, 'y');
		CREATE TABLE app.mine (id INT PRIMARY KEY)`)
	alice := e.as("alice", systable.RoleUser)
	bob := e.as("bob", systable.RoleUser)
	if got := alice.rows("SELECT * FROM generate_series(1, 2) g, unnest(ARRAY['a']) u"); got != `[[1,"a"],[2,"a"]]` {
		t.Fatalf("user without a namespace: %s", got)
	}
	want := alice.fails(apierror.PermissionDenied, "SELECT id FROM app.secret")
	for _, q := range []string{
		"SELECT * FROM generate_series(1, (SELECT max(id) FROM app.secret))",
		"SELECT * FROM unnest((SELECT array_agg(v) FROM app.secret))",
		"SELECT * FROM generate_series(1, 2) g JOIN app.secret s ON s.id = g",
	} {
		if got := alice.fails(apierror.PermissionDenied, q); got.Message != want.Message {
			t.Errorf("%s: %q, want %q", q, got.Message, want.Message)
		}
	}
	// A USER table's rows stay the caller's own.
	alice.must("INSERT INTO app.mine VALUES (1), (2)")
	bob.must("INSERT INTO app.mine VALUES (3)")
	if got := bob.rows("SELECT g, m.id FROM generate_series(1, 3) g LEFT JOIN app.mine m ON m.id = g ORDER BY g"); got != `[[1,null],[2,null],[3,3]]` {
		t.Fatalf("bob's join: %s", got)
	}
	if got := bob.rows("SELECT * FROM unnest((SELECT array_agg(id) FROM app.mine))"); got != `[[3]]` {
		t.Fatalf("bob's unnest: %s", got)
	}
}

// TestLiveQueryOverSetReturningFunction: a subscription cannot follow a
// set-returning function (its rows have no changes), alone, joined or in
// a subquery of the WHERE.
func TestLiveQueryOverSetReturningFunction(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app; CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT)`)
	alice := e.as("alice", systable.RoleUser)
	ctx := context.Background()
	for q, want := range map[string]string{
		"SELECT * FROM generate_series(1, 3)":                                       "generate_series() in FROM has no change feed",
		"SELECT * FROM unnest(ARRAY[1, 2]) u":                                       "unnest() in FROM has no change feed",
		"SELECT * FROM app.notes n, generate_series(1, 3) g":                        "without joins",
		"SELECT * FROM app.notes WHERE id IN (SELECT * FROM generate_series(1, 3))": "subquer",
	} {
		_, err := e.db.Engine.CompileFilter(ctx, alice.user, systable.RoleUser, "", q)
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.Unsupported || !strings.Contains(ae.Message, want) {
			t.Errorf("%s: %v, want UNSUPPORTED containing %q", q, err, want)
		}
	}
}

// TestTableFunctionWithoutNamespaceFromCache: whether a statement calls a
// table function is worked out once per cached statement; its second run
// (from the plan cache) still plans without a namespace.
func TestTableFunctionWithoutNamespaceFromCache(t *testing.T) {
	alice := newEnv(t).as("alice", systable.RoleUser)
	for i := 0; i < 2; i++ {
		if got := alice.rows("SELECT * FROM generate_series(1, 3)"); got != `[[1],[2],[3]]` {
			t.Fatalf("run %d: %s", i+1, got)
		}
	}
}
