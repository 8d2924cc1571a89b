package executor_test

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestSnapshotManifestCacheDropNamespaceRecreate: a namespace with two
// tables, both flushed and settled, is dropped with CASCADE (one batch
// deleting every manifest of both, counted per table) while a flush of
// one of them is queued, then created again with the same tables, written
// and flushed, and dropped and created once more. Readers list every
// partition of both tables at fresh and held snapshots throughout, by
// every *catalog.Table the tables have had (statements planned before a
// drop keep theirs). Every list is the manifest row at its snapshot.
func TestSnapshotManifestCacheDropNamespaceRecreate(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	b := e.as("b", systable.RoleUser)
	create := func() {
		e.root().must("CREATE TABLE n.s (id INT PRIMARY KEY, v TEXT)")
		for _, u := range []*caller{a, b} {
			u.must("INSERT INTO n.s VALUES (1, 's')")
		}
		b.must("INSERT INTO n.t VALUES (2, 'b')")
		flushTable(t, e, "n.t")
		flushTable(t, e, "n.s")
	}
	create()
	var seen atomic.Pointer[[]*catalog.Table]
	remember := func() {
		old := *seen.Load()
		all := slices.Clone(old)
		for _, name := range []string{"t", "s"} {
			if cur, ok := e.db.Catalog.Snapshot().Table("n", name); ok && !slices.Contains(all, cur) {
				all = append(all, cur)
			}
		}
		seen.Store(&all)
	}
	seen.Store(&[]*catalog.Table{})
	remember()
	progress, stop := rowReaders(e, []string{"a", "b"}, func() []*catalog.Table { return *seen.Load() })
	progress()
	for round := range 2 {
		a.must(fmt.Sprintf("INSERT INTO n.t VALUES (%d, 'last')", 300+round))
		e.root().must("STORAGE FLUSH TABLE n.t") // not waited for: it races the drop
		e.root().must("DROP NAMESPACE n CASCADE")
		progress()
		waitIdle(t, e)
		progress()
		e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
		a.must("INSERT INTO n.t VALUES (1, 'again')")
		create()
		remember()
		progress()
	}
	readersDone(t, e, stop())
}
