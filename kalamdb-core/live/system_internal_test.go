package live

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestSystemChangesCoalesce: every commit to a system table's family
// reaches its subscriptions, but a burst of commits queues one refresh per
// subscription, not one per commit; once the sender starts the refresh, the
// next commit queues another. Other tables' subscriptions are untouched.
func TestSystemChangesCoalesce(t *testing.T) {
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &Manager{router: NewRouter(nil), opts: Options{}.withDefaults()}
	unwatch, err := m.watchSystemTables(db)
	if err != nil {
		t.Fatal(err)
	}
	defer unwatch()
	c := &Conn{m: m, userID: "ops", subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
	jobsSub := &subscription{conn: c, id: "j", key: systemKey("jobs"), sys: &systemState{table: "jobs"}}
	usersSub := &subscription{conn: c, id: "u", key: systemKey("users"), sys: &systemState{table: "users"}}
	m.router.idx.add(jobsSub)
	m.router.idx.add(usersSub)
	jobs, err := systable.Open(db, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	queued := func() string {
		c.mu.Lock()
		defer c.mu.Unlock()
		var out []string
		for i := 0; i < c.q.len(); i++ {
			it := c.q.buf[(c.q.head+i)%len(c.q.buf)]
			out = append(out, fmt.Sprintf("%s:%v", it.sub.id, it.refresh))
		}
		return fmt.Sprint(out)
	}
	for i := range 100 {
		if err := jobs.Put(&systable.Job{JobID: fmt.Sprint(i), Status: systable.JobQueued}); err != nil {
			t.Fatal(err)
		}
	}
	if got := queued(); got != "[j:true]" {
		t.Fatalf("after 100 commits: %s", got)
	}
	// The sender takes the item and starts the refresh: a commit now must
	// queue another, or it could be missed.
	c.mu.Lock()
	c.q.pop()
	c.mu.Unlock()
	jobsSub.sys.dirty.Store(false)
	if err := jobs.Delete("0"); err != nil {
		t.Fatal(err)
	}
	if got := queued(); got != "[j:true]" {
		t.Fatalf("after a commit during the refresh: %s", got)
	}
	unwatch()
	c.mu.Lock()
	c.q.drain()
	c.mu.Unlock()
	jobsSub.sys.dirty.Store(false)
	if err := jobs.Delete("1"); err != nil {
		t.Fatal(err)
	}
	if got := queued(); got != "[]" {
		t.Fatalf("after unwatch: %s", got)
	}
}
