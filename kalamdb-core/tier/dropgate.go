package tier

import (
	"context"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// dropGate keeps a flush's or a compaction's manifest commit from landing
// during or after the drop of its table. Both read a partition's manifest
// row, write a file for minutes, then put the row back with the file
// listed; the drop deletes the rows it reads in its catalog batch. A
// commit after that read re-put a row of the dropped table (a partition
// without a manifest before was never deleted at all): a table created
// again under the same name has the same manifest ids and listed the
// dropped table's files. A flush's commit also keeps the drop's column
// family drop waiting on its iterator, so it landed right after the
// drop's catalog commit; a compaction's commit holds no family and could
// land at any time after.
//
// The drop marks its table from before it reads the manifests until its
// batch is written or has failed, having waited for the commits already
// past their check, and then counts a drop ended in its table's stripe.
// A job notes that count (seen) before it resolves its table in the
// catalog; its commit checks, under the same mutex, that its table is not
// being dropped, that no drop of its stripe ended since (a restore can
// bring back a dropped table with the same id and creation time; a table
// from before incarnations, restored before them, has the same derived
// one), and that the catalog still has its table, the same incarnation
// (catalog.Table.Incarnation). So every commit either lands
// before the drop reads the rows, or fails. A drop of another table of
// the stripe while a job runs fails the job too (rare: it is retried by
// the next flush). The zero value is ready; map entries live only while
// counted, the stripes' counts are a fixed array.
type dropGate struct {
	mu   sync.Mutex
	cond *sync.Cond // on mu; signalled when a table's commits reach 0
	// dropping counts the drops in progress by table id, committing the
	// manifest commits past their check.
	dropping, committing map[string]int
	// ended counts the drops ended, by table stripe (stripeHash).
	ended [tableStripes]uint64
}

// dropsSeen is the count of a table stripe's ended drops a job noted.
type dropsSeen uint64

// seen returns the count of ended drops of table tableID's stripe; a job
// notes it before it resolves its table.
func (g *dropGate) seen(tableID string) dropsSeen {
	g.mu.Lock()
	defer g.mu.Unlock()
	return dropsSeen(g.ended[stripeHash(tableID)%tableStripes])
}

// init makes the zero value ready; called under mu.
func (g *dropGate) init() {
	if g.cond == nil {
		g.dropping, g.committing = map[string]int{}, map[string]int{}
		g.cond = sync.NewCond(&g.mu)
	}
}

// beginDrop marks table tableID as being dropped and waits for its
// manifest commits in progress to end. The drop calls end once its batch
// is written or has failed.
func (g *dropGate) beginDrop(tableID string) (end func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	g.dropping[tableID]++
	for g.committing[tableID] > 0 {
		g.cond.Wait()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.dropping[tableID]--; g.dropping[tableID] == 0 {
				delete(g.dropping, tableID)
			}
			g.ended[stripeHash(tableID)%tableStripes]++
		})
	}
}

// beginCommit lets a manifest commit of table t proceed, counted until it
// calls end, if t is not being dropped, no drop of its stripe ended since
// the job noted seen, and t is still the catalog's table of its name (the
// same incarnation: not one created again since a drop).
func (g *dropGate) beginCommit(cat *catalog.Catalog, t *catalog.Table, seen dropsSeen) (end func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := t.Meta.TableID
	cur, ok := cat.Snapshot().Table(t.Meta.NamespaceID, t.Meta.TableName)
	if g.dropping[id] > 0 || !ok || cur.Meta.TableID != id || cur.Incarnation() != t.Incarnation() {
		return nil, apierror.New(apierror.TableNotFound, "table %s.%s was dropped", t.Meta.NamespaceID, t.Meta.TableName)
	}
	if dropsSeen(g.ended[stripeHash(id)%tableStripes]) != seen {
		// This table or one sharing its stripe was dropped meanwhile; the
		// two cannot be told apart. The job's file stays unlisted (the
		// partition's next flush removes it as an orphan).
		return nil, apierror.New(apierror.SQLExecutionError,
			"a table was dropped while this job on %s.%s ran; nothing was committed, run it again", t.Meta.NamespaceID, t.Meta.TableName)
	}
	g.init()
	g.committing[id]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.committing[id]--; g.committing[id] == 0 {
			delete(g.committing, id)
			g.cond.Broadcast()
		}
	}, nil
}

// commitPartitionManifest writes b, a flush's or a compaction's change of
// manifest id of table t (writePartitionManifest), unless t is being
// dropped or was dropped since its job noted seen (dropGate).
func (m *Manager) commitPartitionManifest(b *kv.Batch, t *catalog.Table, id string, seen dropsSeen) error {
	end, err := m.drops.beginCommit(m.cat, t, seen)
	if err != nil {
		return err
	}
	defer end()
	return m.writePartitionManifest(b, t.Meta.TableID, id)
}

// writeMirror writes the manifest.json mirror of mf, a partition manifest
// of table t its job has just committed, into dir, unless t is being
// dropped or was dropped since the job noted seen (dropGate). Written
// once the drop began, the mirror could replace the one of a table
// created again under the name since (the same path); a drop that begins
// while it is written waits for it, as for a commit, so it is older than
// the drop, and the drop's cleanup job finds it (it removes the mirrors
// naming its table's incarnation, judgeMirror).
// Best effort, as every mirror write: a skipped one is stale until
// syncMirrors rewrites it.
func (m *Manager) writeMirror(ctx context.Context, t *catalog.Table, seen dropsSeen, fsys cold.Storage, dir string, mf *systable.Manifest) {
	end, err := m.drops.beginCommit(m.cat, t, seen)
	if err != nil {
		return
	}
	defer end()
	_ = writeManifestMirror(ctx, fsys, dir, mf, t.Incarnation())
}
