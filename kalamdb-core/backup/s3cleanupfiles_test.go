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
