package executor_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestDropRacingATransactionUnmarksItsOtherTable (adversarial review of
// the generated-keys skip): a transaction writes an explicit key to app.t
// and a generated one to app.o, which a DROP TABLE removes while the
// transaction commits: between the commit's validation (which skips the
// generated key of the clean table, so it does not read the dropped
// family) and its batch write, where the commit's failpoint runs the drop.
// The commit fails after it marked app.t in memory. That mark must not
// make later explicit INSERTs into app.t leave out the deletion of the
// record, or after a restart app.t is clean again and generated INSERTs
// replace the rows whose keys were named.
func TestDropRacingATransactionUnmarksItsOtherTable(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flushed=", flush), func(t *testing.T) { dropRacingTransaction(t, flush) })
	}
}

func dropRacingTransaction(t *testing.T, flush bool) {
	var e *env
	var armed atomic.Bool
	var dropErr error
	e = &env{t: t, dir: t.TempDir(), changes: &recordingSink{}, failpoint: func(point string) {
		if point == txn.FailpointBeforeWrite && armed.CompareAndSwap(true, false) {
			_, dropErr = e.root().exec("DROP TABLE app.o")
		}
	}}
	e.open()
	t.Cleanup(e.close)
	root := e.root()
	const target = "t"
	root.must("CREATE NAMESPACE app; " +
		"CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED'); " +
		"CREATE TABLE app.o (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED')")
	armed.Store(true)
	_, err := root.exec("BEGIN; INSERT INTO app.t (id, body) VALUES (1, 'lost'); INSERT INTO app.o (body) VALUES ('g'); COMMIT")
	if dropErr != nil {
		t.Fatalf("the drop at the commit's failpoint: %v", dropErr)
	}
	if err == nil || !strings.Contains(err.Error(), "a table written by this statement was dropped meanwhile") {
		t.Fatalf("the commit whose other table was dropped before its write: %v", err)
	}
	lease := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	first := ids.FirstOfMillisecond(lease.Add(time.Millisecond)) |
		ids.NodeOf(root.must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64))<<ids.SeqBits
	keys, values := window(first, 200, 10)
	root.must("INSERT INTO app." + target + " (id, body) VALUES " + values)
	if keysClean(t, e, "app", target) {
		t.Fatal("the explicit insert did not mark the table")
	}
	if flush {
		// The named rows move to the cold tier, which a generated key of a
		// clean table is not looked up in either.
		if j := waitJob(t, e, root.must("STORAGE FLUSH TABLE app."+target)); j.Status != systable.JobCompleted {
			t.Fatalf("flush %s: %s", j.Status, j.ErrorMessage)
		}
	}
	if got := restartAt(t, e, lease); got != first {
		t.Fatalf("generator starts at %d, want %d", got, first)
	}
	if keysClean(t, e, "app", target) {
		t.Error("after a restart the table is clean although keys were named")
	}
	dups := generateThrough(t, root, "app."+target, 160)
	if dups == 0 {
		t.Error("no generated key met a named one")
	}
	all := root.must("SELECT id FROM app." + target)[0].Rows
	if got, want := root.rows("SELECT COUNT(*) FROM app."+target), fmt.Sprintf("[[%d]]", len(all)); got != want {
		t.Errorf("COUNT(*) is %s, %d rows read", got, len(all))
	}
	wantExplicitRows(t, root, "app."+target, keys)
}
