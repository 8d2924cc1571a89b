package live_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// runJob runs a STORAGE statement as root and waits for its job to
// complete.
func (e *env) runJob(stmt string) {
	e.t.Helper()
	res := e.sql("root", systable.RoleSystem, stmt)
	if len(res[0].Rows) != 1 {
		e.t.Fatalf("%s started no job: %+v", stmt, res[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	j, err := e.db.Jobs.Wait(ctx, res[0].Rows[0][0].(string))
	if err != nil {
		e.t.Fatal(err)
	}
	if j.Status != systable.JobCompleted {
		e.t.Fatalf("%s: job %s %s: %s", stmt, j.JobID, j.Status, j.ErrorMessage)
	}
}

// parquetFiles lists the Parquet files under the storage directory.
func (e *env) parquetFiles() []string {
	var out []string
	_ = filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".parquet") {
			out = append(out, path)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestInitialDataOutlivesCompaction: a subscription reads its initial
// data at one snapshot over as many next_batch requests as the client
// takes. A compaction meanwhile replaces the files that snapshot's
// manifest lists; they must stay until the subscription is done with
// them, past the grace period for statements and past the orphan
// cleanup of a later flush, and go afterwards.
func TestInitialDataOutlivesCompaction(t *testing.T) {
	e := newEnv(t, live.Options{}, func(c *database.Config) { c.ObsoleteFileGrace = time.Nanosecond })
	for i := 1; i <= 8; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, $2)", i, fmt.Sprint("m", i))
		if i%4 == 0 {
			e.runJob("STORAGE FLUSH TABLE chat.messages")
		}
	}
	before := e.parquetFiles()
	if len(before) != 2 {
		t.Fatalf("files after two flushes: %v", before)
	}

	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{BatchSize: 3})
	c.expect("subscription_ack", "m")
	rows := c.expect("initial_data_batch", "m").Rows

	e.runJob("STORAGE COMPACT TABLE chat.messages")
	e.alice("INSERT INTO chat.messages VALUES (9, 7, 'm9')")
	e.runJob("STORAGE FLUSH TABLE chat.messages") // cleans orphans of the partition
	for _, f := range before {
		if !slices.Contains(e.parquetFiles(), f) {
			t.Fatalf("%s was removed while a subscription's snapshot still lists it", f)
		}
	}
	rows = append(rows, c.restOfInitialData("m")...)
	if got := fmt.Sprint(ids(rows)); got != "[1 2 3 4 5 6 7 8]" {
		t.Fatalf("initial data across the compaction: %s", got)
	}
	if got := c.change("m"); got != "insert [map[body:m9 id:9]]" {
		t.Fatal(got)
	}
	// The snapshot is released with the last batch: the replaced files go.
	for deadline := time.Now().Add(waitFor); ; time.Sleep(10 * time.Millisecond) {
		left := 0
		for _, f := range e.parquetFiles() {
			if slices.Contains(before, f) {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replaced files still there after the subscription released them: %v", e.parquetFiles())
		}
	}
}
