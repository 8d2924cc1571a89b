package executor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestServerMemoryAccount: statements reserve what they hold, and requests
// the rows they will answer, from one server-wide account. Past its limit
// a statement is refused with RATE_LIMIT_EXCEEDED and a wait (other
// requests hold the memory, so a retry can succeed), and nothing it did is
// kept; every reservation goes back, so an idle server holds nothing.
func TestServerMemoryAccount(t *testing.T) {
	acct := memory.NewAccount(9 << 20)
	e := newEnvWithMemory(t, 8<<20, acct)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.blobs (id INT PRIMARY KEY, b TEXT);
		CREATE SHARED TABLE app.copy (id INT PRIMARY KEY, b TEXT)`)
	for i := 0; i < 200; i += 20 {
		var vals []string
		for j := i; j < i+20; j++ {
			vals = append(vals, fmt.Sprintf("(%d, repeat('x', 20000))", j))
		}
		root.must("INSERT INTO app.blobs VALUES " + strings.Join(vals, ", "))
	}
	if u := acct.Used(); u != 0 {
		t.Fatalf("idle after the inserts: %d bytes reserved", u)
	}
	// run executes sql as root with its result rows reserved to charge.
	run := func(charge *memory.Charge, sql string) ([]executor.Result, error) {
		return e.db.Executor.Execute(context.Background(), executor.Request{UserID: root.user, Role: root.role, SQL: sql, Memory: charge})
	}
	refused := func(what string, err error) {
		t.Helper()
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.RateLimitExceeded || !strings.Contains(ae.Message, "server_memory_bytes") {
			t.Fatalf("%s: got %v, want RATE_LIMIT_EXCEEDED naming server_memory_bytes", what, err)
		}
		if wait, ok := apierror.RetryAfterOf(err); !ok || wait <= 0 {
			t.Fatalf("%s: no wait to retry after: %v", what, err)
		}
	}

	// Two answers waiting to be written hold their rows: 3 MB each.
	var a, a2 memory.Charge
	a.Reset(acct)
	a2.Reset(acct)
	for _, c := range []*memory.Charge{&a, &a2} {
		res, err := run(c, "SELECT b FROM app.blobs WHERE id < 150")
		if err != nil || len(res[0].Rows) != 150 {
			t.Fatalf("answer within the account: %v", err)
		}
		if h := c.Held(); h < 3_000_000 || h > 3_100_000 {
			t.Fatalf("a 150-row answer of 20,000-byte values holds %d bytes", h)
		}
	}
	held := a.Held() + a2.Held()
	if u := acct.Used(); u != held {
		t.Fatalf("account %d, the two answers %d", u, held)
	}

	// Another 4 MB answer would pass the 9 MiB account.
	var b memory.Charge
	b.Reset(acct)
	_, err := run(&b, "SELECT b FROM app.blobs")
	refused("a third answer", err)
	b.Release()
	// So would a sort that keeps the 4 MB of rows, within its own budget.
	_, err = run(nil, "SELECT id FROM app.blobs ORDER BY b || id DESC")
	refused("a sort", err)
	// And an INSERT ... SELECT, whose rows wait in its transaction: it
	// writes nothing.
	_, err = run(nil, "INSERT INTO app.copy SELECT id, b FROM app.blobs")
	refused("INSERT ... SELECT", err)
	if got := root.rows("SELECT count(*) FROM app.copy"); got != "[[0]]" {
		t.Fatalf("a refused INSERT ... SELECT wrote rows: %s", got)
	}
	// Refused statements gave back what they had reserved; a result
	// without a request's reservation was the statement's, given back when
	// it ended.
	if got := root.rows("SELECT count(*) FROM app.blobs WHERE length(b) = 20000"); got != "[[200]]" {
		t.Fatalf("small statement: %s", got)
	}
	if u := acct.Used(); u != held {
		t.Fatalf("account %d after the refusals, want the two answers' %d", u, held)
	}

	// Once an answer is written and given back, the same statements run.
	a.Release()
	if res, err := run(&b, "SELECT b FROM app.blobs"); err != nil || len(res[0].Rows) != 200 {
		t.Fatalf("after one answer was given back: %v", err)
	}
	b.Release()
	root.must("SELECT id FROM app.blobs ORDER BY b || id DESC")
	// The rows an INSERT writes are held decoded and encoded until its
	// commit: 8 MB of the account for 4 MB of values.
	a2.Release()
	root.must("INSERT INTO app.copy SELECT id, b FROM app.blobs")
	if u := acct.Used(); u != 0 {
		t.Fatalf("idle: %d bytes reserved", u)
	}
	if acct.Refusals() < 3 {
		t.Fatalf("refusals %d, want at least 3", acct.Refusals())
	}
}

// A statement inside BEGIN holds what its transaction wrote before it: that
// is reserved for each statement of the transaction and given back after.
func TestServerMemoryAccountTransactions(t *testing.T) {
	acct := memory.NewAccount(10 << 20)
	e := newEnvWithMemory(t, 8<<20, acct)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT)`)
	var other memory.Charge
	other.Reset(acct)
	if !other.Reserve(5 << 20) {
		t.Fatal("5 MiB of 10 refused")
	}
	// 2 MB written, held as values and encoded (4 MB), then a statement
	// that sorts them (2 MB more): the transaction's writes count again
	// for it, so with 5 MiB held elsewhere it is refused.
	var vals []string
	for i := 1; i <= 100; i++ {
		vals = append(vals, fmt.Sprintf("(%d, repeat('y', 20000))", i))
	}
	txn := "BEGIN; INSERT INTO app.t VALUES " + strings.Join(vals, ", ") + `;
		SELECT count(*) FROM (SELECT b FROM app.t ORDER BY b || id) s;
		COMMIT`
	_, err := root.exec(txn)
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.RateLimitExceeded {
		t.Fatalf("got %v, want RATE_LIMIT_EXCEEDED", err)
	}
	if got := root.rows("SELECT count(*) FROM app.t"); got != "[[0]]" {
		t.Fatalf("the refused transaction kept rows: %s", got)
	}
	other.Release()
	root.must(txn)
	if u := acct.Used(); u != 0 {
		t.Fatalf("idle: %d bytes reserved", u)
	}
}

// newEnvWithMemory is newEnv with a statement memory budget and the
// server's memory account.
func newEnvWithMemory(t *testing.T, statementBytes int64, acct *memory.Account) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), statementLimits: engine.Limits{StatementMemoryBytes: statementBytes}, memory: acct}
	e.open()
	t.Cleanup(e.close)
	return e
}

// Results built outside the engine's row reader go through the same
// accounting as a SELECT's rows: SHOW and DESCRIBE (built by the
// executor), EXPLAIN's plan text, and the rows of a system table, which
// are read whole before the statement looks at them. Each is reserved for
// the request that answers it (or for the statement), refused when the
// account is full, and given back afterwards.
func TestServerMemoryAccountAdminResults(t *testing.T) {
	acct := memory.NewAccount(9 << 20)
	e := newEnvWithMemory(t, 8<<20, acct)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT)`)
	for i := 0; i < 20; i++ {
		root.must(fmt.Sprintf("CREATE SHARED TABLE app.t%d (id INT PRIMARY KEY, b TEXT)", i))
	}
	run := func(charge *memory.Charge, sql string) ([]executor.Result, error) {
		return e.db.Executor.Execute(context.Background(), executor.Request{UserID: root.user, Role: root.role, SQL: sql, Memory: charge})
	}
	idle := func(what string) {
		t.Helper()
		if u := acct.Used(); u != 0 {
			t.Fatalf("%s: %d bytes still reserved", what, u)
		}
	}
	var others memory.Charge
	others.Reset(acct)
	defer others.Release()
	for _, q := range []string{
		"SHOW TABLES IN app",
		"DESCRIBE TABLE app.t",
		"EXPLAIN SELECT * FROM app.t WHERE id IN (SELECT id FROM app.t1)",
		"SELECT count(*) FROM system.tables",
		// A system table scanned once per row of another.
		"SELECT count(*) FROM system.namespaces n WHERE EXISTS (SELECT 1 FROM system.tables t WHERE t.namespace_id = n.namespace_id)",
	} {
		var c memory.Charge
		c.Reset(acct)
		if _, err := run(&c, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if !strings.HasPrefix(q, "SELECT") && c.Held() < 200 {
			t.Fatalf("%s: its answer holds %d bytes of the account", q, c.Held())
		}
		c.Release()
		idle(q)
		// With all but 100 bytes held elsewhere, a one-row SELECT runs
		// and these are refused.
		if !others.Reserve(acct.Limit() - 100) {
			t.Fatal("refused")
		}
		if res, err := run(&c, "SELECT 1"); err != nil || len(res[0].Rows) != 1 {
			t.Fatalf("SELECT 1 in the last 100 bytes: %v", err)
		}
		c.Release()
		_, err := run(&c, q)
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.RateLimitExceeded || !strings.Contains(ae.Message, "server_memory_bytes") {
			t.Fatalf("%s with 100 bytes left: got %v, want RATE_LIMIT_EXCEEDED naming server_memory_bytes", q, err)
		}
		c.Release()
		others.Release()
		idle(q + ", refused")
	}
}

// Results the executor builds itself count against max_result_bytes like
// any other rows of the request.
func TestAdminResultsCountAgainstTheResultBound(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxResultBytes: 1000}, engine.Limits{})
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	for i := 0; i < 30; i++ {
		root.must(fmt.Sprintf("CREATE SHARED TABLE app.t%d (id INT PRIMARY KEY, b TEXT)", i))
	}
	_, err := root.exec("SHOW TABLES IN app")
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.ResourceLimitExceeded || !strings.Contains(ae.Message, "max_result_bytes") {
		t.Fatalf("SHOW TABLES of 30 tables with max_result_bytes 1000: got %v", err)
	}
	// One limit, one message: the executor's refusal reads as the
	// engine's refusal of a query's rows.
	for i := 0; i < 30; i++ {
		root.must(fmt.Sprintf("INSERT INTO app.t0 (id, b) VALUES (%d, '%s')", i, strings.Repeat("x", 60)))
	}
	_, qerr := root.exec("SELECT b FROM app.t0")
	qe, _ := apierror.As(qerr)
	ae, _ := apierror.As(err)
	if qe == nil || ae == nil || qe.Message != ae.Message {
		t.Fatalf("the bound's refusals differ: SHOW %v, SELECT %v", err, qerr)
	}
}

// A request's statements reserve from the share of the user they run as:
// the caller's, which the request reserves from too, or under EXECUTE AS
// USER the effective user's, whose full share refuses them while the
// caller's own statements go on.
func TestServerMemoryAccountChargesTheEffectiveUser(t *testing.T) {
	acct := memory.NewAccount(40 << 20)
	acct.SetUserShare(4 << 20)
	e := newEnvWithMemory(t, 8<<20, acct)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	var vals []string
	for i := 0; i < 100; i++ {
		vals = append(vals, fmt.Sprintf("(%d, repeat('x', 20000))", i))
	}
	root.must("INSERT INTO app.t VALUES " + strings.Join(vals, ", "))
	alice := e.user("alice")
	// alice holds all but 1 MiB of her share elsewhere.
	var held memory.Charge
	held.Reset(acct.For(alice.user))
	if !held.Reserve(3 << 20) {
		t.Fatal("refused")
	}
	const sort = "SELECT count(*) FROM (SELECT id FROM app.t ORDER BY b || id) s"
	run := func(user, sql string) error {
		var c memory.Charge
		c.Reset(acct.For(user))
		defer c.Release()
		_, err := e.db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: systable.RoleSystem, SQL: sql, Memory: &c})
		return err
	}
	if err := run(root.user, sort); err != nil {
		t.Fatalf("root's 2 MB sort: %v", err)
	}
	err := run(root.user, "EXECUTE AS USER 'alice' ("+sort+")")
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.RateLimitExceeded || !strings.Contains(ae.Message, "user_memory_bytes") {
		t.Fatalf("root's sort as alice, whose share is nearly full: got %v, want RATE_LIMIT_EXCEEDED naming user_memory_bytes", err)
	}
	held.Release()
	if err := run(root.user, "EXECUTE AS USER 'alice' ("+sort+")"); err != nil {
		t.Fatalf("root's sort as alice once her share is free: %v", err)
	}
	if u := acct.Used(); u != 0 {
		t.Fatalf("idle: %d bytes reserved", u)
	}
}
