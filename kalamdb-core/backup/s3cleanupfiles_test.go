package backup_test

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestDroppedTablesCleanupChainParametersStayBounded: the drop's cleanup
// job carries the files the table's manifests listed; the jobs a chain
// hands on to carry a reference to them instead, so their parameters in
// system.jobs stay small however many files the table had (20000 here),
// and the list still reaches the last run: an untagged file, removed
// only because it is listed, goes in the third run's partition. When the
// chain ends its list is gone from the store.
func TestDroppedTablesCleanupChainParametersStayBounded(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	partitions := userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	slices.Sort(partitions)
	untagged := path.Join(partitions[4], "batch-1.parquet")
	writeObject(t, bucket, untagged, []byte("not parquet"))
	for _, dir := range partitions { // a foreign object keeps each partition there
		writeObject(t, bucket, path.Join(dir, "note.txt"), []byte("not the table's"))
	}
	s.must("DROP TABLE app.msgs")
	_, chain := cleanupChain(t, s)
	if _, ok := s3Files(t, bucket, ".")[untagged]; !ok {
		t.Fatalf("the untagged file %s, not listed, went: the test proves nothing", untagged)
	}
	// The drop's job again, as a restart retries it, listing the untagged
	// file among 20000 others.
	var params map[string]any
	if err := json.Unmarshal(chain[0].Parameters, &params); err != nil {
		t.Fatal(err)
	}
	files, _ := params["files"].([]any)
	files = append(files, untagged)
	for i := range 20000 {
		files = append(files, fmt.Sprintf("app/msgs/gone%05d/batch-%d.parquet", i, i+1))
	}
	params["files"] = files
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	drop := *chain[0]
	drop.Parameters = raw
	before := map[string]bool{}
	for _, r := range s.must("SELECT job_id FROM system.jobs")[0].Rows {
		before[r[0].(string)] = true
	}
	if err := s.db.Tier.Retry([]*systable.Job{&drop}); err != nil {
		t.Fatal(err)
	}
	for range 4 { // each run may hand on to one more
		waitAllJobs(t, s)
	}
	var continuations int
	for _, r := range s.must("SELECT job_id, parameters, status, error_message FROM system.jobs WHERE job_type = 'cleanup'")[0].Rows {
		var p string
		switch v := r[1].(type) {
		case json.RawMessage:
			p = string(v)
		case []byte:
			p = string(v)
		default:
			p = fmt.Sprint(v)
		}
		if before[r[0].(string)] || !strings.Contains(p, "resume_after") {
			continue
		}
		continuations++
		if len(p) > 1024 || strings.Contains(p, `"files":[`) || !strings.Contains(p, `"files_count":20006`) {
			t.Errorf("continuation %s carries %d bytes of parameters: %.300s", r[0], len(p), p)
		}
		if r[2] != systable.JobCompleted {
			t.Errorf("continuation %s: %s %v", r[0], r[2], r[3])
		}
	}
	if continuations != 2 {
		t.Fatalf("the retried chain had %d continuations, want 2", continuations)
	}
	if _, ok := s3Files(t, bucket, ".")[untagged]; ok {
		t.Fatalf("the listed untagged file %s stayed: the list did not reach the last run", untagged)
	}
	cf, err := s.kv.ColumnFamily("system_cleanup_files")
	if err != nil {
		t.Fatal(err)
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.First() {
		t.Fatalf("the ended chain left its file list: key %q", it.Key())
	}
}

// TestDroppedTablesCleanupFileListAfterRestarts: a restart that finds a
// chain's first run and the job it handed on to both interrupted retries
// the first alone (supersededCleanups), which carries the files itself:
// the list the second one referenced is deleted, even when the retried
// run then ends without handing on. And a continuation run again after
// its chain ended finds its list gone: it walks on without it, saying so.
func TestDroppedTablesCleanupFileListAfterRestarts(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	s.must("DROP TABLE app.msgs")
	_, chain := cleanupChain(t, s)
	var second struct {
		FilesRef string `json:"files_ref"`
	}
	if err := json.Unmarshal(chain[1].Parameters, &second); err != nil || second.FilesRef == "" {
		t.Fatalf("the second run's parameters %s carry no files_ref (%v)", chain[1].Parameters, err)
	}
	cf, err := s.kv.ColumnFamily("system_cleanup_files")
	if err != nil {
		t.Fatal(err)
	}
	listed := func() bool {
		it, err := cf.NewIter(kv.PrefixOptions([]byte(second.FilesRef + "/")))
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		return it.First()
	}
	if listed() {
		t.Fatal("the ended chain left its file list")
	}
	// The list as the crash left it; the partitions are gone, so the
	// retried first run completes without handing on.
	if err := cf.Put([]byte(second.FilesRef+"/0000000000"), []byte(`["app/msgs/u/batch-1.parquet"]`)); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Tier.Retry([]*systable.Job{chain[0], chain[1]}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	if listed() {
		t.Fatal("the list of a superseded continuation stayed after the restart")
	}
	// The last run again: its list is gone.
	before := map[string]bool{}
	for _, r := range s.must("SELECT job_id FROM system.jobs")[0].Rows {
		before[r[0].(string)] = true
	}
	if err := s.db.Tier.Retry([]*systable.Job{chain[2]}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	var again *systable.Job
	for _, r := range s.must("SELECT job_id FROM system.jobs")[0].Rows {
		if !before[r[0].(string)] {
			again = waitJob(t, s, r[0].(string))
		}
	}
	if again == nil || again.Status != systable.JobCompleted || !strings.Contains(string(again.Result), "is gone") {
		t.Fatalf("the last run again: %+v", again)
	}
}
