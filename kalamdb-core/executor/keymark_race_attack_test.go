package executor_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestDropRacingATransactionUnmarksItsOtherTable (adversarial review of
// the generated-keys skip): a transaction writes an explicit key to
// app.t<i> and a generated one to another table that a DROP TABLE
// removes while the transaction commits. When the drop lands between the
// commit's validation (which skips the generated key of the clean table,
// so it does not read the dropped family) and its batch write, the commit
// fails after it marked app.t<i> in memory. That mark in memory makes
// every later explicit INSERT into that table skip the deletion of the
// record, so after a restart it is clean again, and generated
// INSERTs replace the rows whose keys were named.
//
// The race is not forced: the test tries up to 2000 times and skips when
// it never lands in the window.
func TestDropRacingATransactionUnmarksItsOtherTable(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flushed=", flush), func(t *testing.T) { dropRacingTransaction(t, flush) })
	}
}

func dropRacingTransaction(t *testing.T, flush bool) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	hit := false
	target := ""
	// Each round has its own target: the first explicit commit to a table
	// is the one that deletes its record, so it must be the one that fails.
	for i := 0; i < 2000 && !hit; i++ {
		target = fmt.Sprintf("t%d", i)
		root.must(fmt.Sprintf("CREATE TABLE app.%s (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED'); "+
			"CREATE TABLE app.o%d (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED')", target, i))
		var wg sync.WaitGroup
		var err error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err = root.exec(fmt.Sprintf("BEGIN; INSERT INTO app.%s (id, body) VALUES (1, 'lost'); INSERT INTO app.o%d (body) VALUES ('g'); COMMIT", target, i))
		}()
		go func() {
			defer wg.Done()
			_, _ = root.exec(fmt.Sprintf("DROP TABLE IF EXISTS app.o%d", i))
		}()
		wg.Wait()
		hit = err != nil && strings.Contains(err.Error(), "a table written by this statement was dropped meanwhile")
	}
	if !hit {
		t.Skip("the drop never landed between validation and the batch write")
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
