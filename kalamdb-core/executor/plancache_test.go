package executor_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPlanCacheServesEveryCallerTheirOwn: a statement cached (and its
// fast-path plan compiled) for one caller answers another caller with
// that caller's rows and permissions: the partition is bound and roles are
// checked on every execution, so what a cached plan returns never depends
// on who ran it first. Every step is also run without the cache and must
// give the same answer.
func TestPlanCacheServesEveryCallerTheirOwn(t *testing.T) {
	type step struct {
		who, sql string
		params   []any
	}
	steps := []step{
		// USER tables: one text, each caller's own partition.
		{"alice", "INSERT INTO p.t (id, v) VALUES ($1, $2)", []any{1, "alice's"}},
		{"bob", "INSERT INTO p.t (id, v) VALUES ($1, $2)", []any{1, "bob's"}},
		{"bob", "INSERT INTO p.t (id, v) VALUES ($1, $2)", []any{2, "bob's second"}},
		{"alice", "SELECT v FROM p.t WHERE id = $1", []any{1}},
		{"bob", "SELECT v FROM p.t WHERE id = $1", []any{1}},
		{"alice", "SELECT v FROM p.t WHERE id = $1", []any{2}},
		{"alice", "SELECT id, v FROM p.t ORDER BY id", nil},
		{"bob", "SELECT id, v FROM p.t ORDER BY id", nil},
		{"root", "EXECUTE AS USER 'bob' (SELECT v FROM p.t WHERE id = 2)", nil},
		{"root", "EXECUTE AS USER 'alice' (SELECT v FROM p.t WHERE id = 2)", nil},
		{"alice", "SELECT v FROM p.t WHERE id = 2", nil},
		// SHARED tables: the access level decides, on every execution.
		{"ops", "INSERT INTO p.private_t VALUES ($1, $2)", []any{1, "secret"}},
		{"ops", "SELECT v FROM p.private_t WHERE id = $1", []any{1}},
		{"alice", "SELECT v FROM p.private_t WHERE id = $1", []any{1}},
		{"alice", "INSERT INTO p.private_t VALUES ($1, $2)", []any{2, "mine"}},
		{"alice", "SELECT count(*) FROM p.private_t", nil},
		{"ops", "INSERT INTO p.public_t VALUES ($1, $2)", []any{1, "notice"}},
		{"alice", "SELECT v FROM p.public_t WHERE id = $1", []any{1}},
		{"alice", "INSERT INTO p.public_t VALUES ($1, $2)", []any{2, "graffiti"}},
		// The level changes: the cached plans are compiled again, and the
		// new level applies at once.
		{"root", "ALTER TABLE p.public_t SET TBLPROPERTIES (ACCESS_LEVEL = 'private')", nil},
		{"alice", "SELECT v FROM p.public_t WHERE id = $1", []any{1}},
		{"ops", "SELECT v FROM p.public_t WHERE id = $1", []any{1}},
		// System tables: a user sees what a user may, whoever ran the
		// text before.
		{"root", "SELECT username FROM system.users WHERE username = $1", []any{"bob"}},
		{"alice", "SELECT username FROM system.users WHERE username = $1", []any{"bob"}},
		// The default namespace is part of what a text means (the last
		// step runs in namespace p, then in q).
		{"alice", "SELECT v FROM t WHERE id = 1", nil},
	}
	run := func(slow bool) []string {
		e := newEnvWith(t, slow)
		root := e.root()
		root.must(`CREATE NAMESPACE p; CREATE NAMESPACE q;
			CREATE TABLE p.t (id INT PRIMARY KEY, v TEXT);
			CREATE TABLE q.t (id INT PRIMARY KEY, v TEXT);
			CREATE SHARED TABLE p.private_t (id INT PRIMARY KEY, v TEXT);
			CREATE SHARED TABLE p.public_t (id INT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'public');
			CREATE USER 'alice' WITH PASSWORD 'pw-alice-1' ROLE user;
			CREATE USER 'bob' WITH PASSWORD 'pw-bob-12' ROLE user;
			CREATE USER 'ops' WITH PASSWORD 'pw-ops-12' ROLE service`)
		callers := map[string]*caller{"root": root, "alice": e.user("alice"), "bob": e.user("bob"), "ops": e.user("ops")}
		callers["alice"].must("INSERT INTO q.t VALUES (1, 'alice in q')")
		var out []string
		for i, s := range steps {
			c := callers[s.who]
			if i == len(steps)-1 {
				for _, ns := range []string{"p", "q"} {
					cc := *c
					cc.ns = ns
					res, err := cc.exec(s.sql, s.params...)
					out = append(out, describe(res, err))
				}
				continue
			}
			res, err := c.exec(s.sql, s.params...)
			out = append(out, describe(res, err))
		}
		if !slow && e.db.Engine.PlanCacheStats().Hits == 0 {
			t.Fatal("the plan cache was never used")
		}
		return out
	}
	cached, planned := run(false), run(true)
	for i := range cached {
		if cached[i] != planned[i] {
			t.Errorf("step %d: cached %s\n planned %s", i, cached[i], planned[i])
		}
	}
	// What the steps must show, whatever the comparison says.
	want := map[int]string{
		3:  `"rows":[["alice's"]]`,
		4:  `"rows":[["bob's"]]`,
		5:  `"count":0`,
		6:  `"rows":[[1,"alice's"]]`,
		8:  `"rows":[["bob's second"]]`,
		9:  `"count":0`,
		12: `"rows":[["secret"]]`,
		13: "error " + string(apierror.PermissionDenied),
		14: "error " + string(apierror.PermissionDenied),
		17: `"rows":[["notice"]]`,
		18: "error " + string(apierror.PermissionDenied),
		20: "error " + string(apierror.PermissionDenied),
		21: `"rows":[["notice"]]`,
		24: `"rows":[["alice's"]]`,
		25: `"rows":[["alice in q"]]`,
	}
	for i, w := range want {
		if !strings.Contains(cached[i], w) {
			t.Errorf("answer %d: %s, want %s", i, cached[i], w)
		}
	}
}

// TestPlanCacheIsBoundedAndShared: many statement texts from many
// goroutines at once (run with -race) stay within the cache's bounds and
// every answer is right.
func TestPlanCacheIsBoundedAndShared(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), changes: &recordingSink{}}
	e.planCache = engine.PlanCacheOptions{Entries: 16, Bytes: 64 << 10}
	e.open()
	t.Cleanup(e.close)
	e.root().must(`CREATE NAMESPACE p; CREATE TABLE p.t (id INT PRIMARY KEY, v TEXT)`)
	const workers, perWorker = 4, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := e.as(fmt.Sprintf("user%d", w), systable.RoleUser)
			for i := 0; i < perWorker; i++ {
				// A few hot texts, shared by every worker, and a stream of
				// one-off texts that push them out of a small cache.
				if _, err := c.exec("INSERT INTO p.t (id, v) VALUES ($1, $2)", i, fmt.Sprint(w, "/", i)); err != nil {
					errs <- err
					return
				}
				res, err := c.exec("SELECT v FROM p.t WHERE id = $1", i)
				if err != nil || len(res[0].Rows) != 1 || res[0].Rows[0][0] != fmt.Sprint(w, "/", i) {
					errs <- fmt.Errorf("worker %d row %d: %v %v", w, i, res, err)
					return
				}
				q := fmt.Sprintf("SELECT count(*) FROM p.t WHERE id <= %d", i)
				res, err = c.exec(q)
				if err != nil || fmt.Sprint(res[0].Rows[0][0]) != fmt.Sprint(i+1) {
					errs <- fmt.Errorf("worker %d %s: %v %v", w, q, res, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := e.db.Engine.PlanCacheStats()
	if st.Entries > 16 || st.Bytes > 64<<10 {
		t.Fatalf("cache over its bounds: %+v", st)
	}
	if st.Evictions == 0 || st.Hits == 0 {
		t.Fatalf("expected hits and evictions: %+v", st)
	}
}
