package backup_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
)

// TestStaleIndexBuildDoesNotReadyTheRestoredTablesIndex: a restored table
// has the id and creation time of the table its backup was taken from,
// but it is another incarnation (catalog.Table.Incarnation). An index
// build of the dropped table, still running when the namespace is
// restored, must not publish the restored table's index as ready: the
// restored index holds only the entries the backup had (none here), and
// a ready index with missing entries makes reads through it miss rows.
func TestStaleIndexBuildDoesNotReadyTheRestoredTablesIndex(t *testing.T) {
	flushStop := newStopAt(tier.FailFlushBeforeWrite)
	buildStop := newStopAt(tier.FailIndexBuildBeforeReady)
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir(), failpoint: func(p string) {
		flushStop.hit(p)
		buildStop.hit(p)
	}}
	s.open()
	t.Cleanup(s.close)
	t.Cleanup(flushStop.let)
	t.Cleanup(buildStop.let)

	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.cfg (k, v) VALUES ('a', 'x'), ('b', 'y')`)
	// A flush holds the table's job key, so the index build waits.
	s.must("STORAGE FLUSH TABLE app.cfg")
	<-flushStop.reached
	res := s.must("CREATE INDEX cfg_v ON app.cfg (v)")
	build, _ := res[0].Rows[0][4].(string)
	if build == "" {
		t.Fatalf("CREATE INDEX ran no build: %v", res[0].Rows[0])
	}
	// The backup has the index building, without entries.
	s.mustJob("BACKUP DATABASE app TO 'b'")
	flushStop.let()
	<-buildStop.reached // the dropped table's build wrote its entries

	s.must("DROP NAMESPACE app CASCADE")
	s.mustJob("RESTORE DATABASE app FROM 'b'")
	buildStop.let()
	waitJob(t, s, build)
	waitAllJobs(t, s)

	const query = "SELECT k FROM app.cfg WHERE v = 'x'"
	if got := s.rows(query); got != "a\n" {
		tbl, _ := s.db.Catalog.Snapshot().Table("app", "cfg")
		var states []string
		for _, d := range tbl.Meta.Indexes {
			states = append(states, d.Name+"="+d.State)
		}
		t.Fatalf("%s on the restored table reads %q, want %q (indexes: %s)", query, got, "a\n", strings.Join(states, ","))
	}
}
