package txn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// CountersFamily holds every partition's buffered-row counter: the row
// versions committed since its last flush, which drive row-count flush
// policies. Commits raise them, flushes lower them.
const CountersFamily = "user_table_counters"

// ColdVersion is the newest version of a key in the cold tier.
type ColdVersion struct {
	Seq     int64
	Deleted bool
	Found   bool
}

// Cold is what transactions need of the cold tier.
type Cold interface {
	// Epoch changes whenever the cold files of table tableID change; it
	// is moved under the partition lock, with the manifest.
	Epoch(tableID string) uint64
	// NewestVersions finds the newest cold version of each of the
	// partition-local keys of owner's partition of t, in the latest
	// manifest (read once for them all).
	NewestVersions(ctx context.Context, t *catalog.Table, owner string, locals [][]byte) ([]ColdVersion, error)
}

// Options configure a Manager.
type Options struct {
	// Locks are the database's partition locks. Required.
	Locks *Locks
	// Seq issues _seq; Open makes it issue ids above every one committed
	// before. Required.
	Seq *ids.Snowflake
	// Cold answers for keys without a hot version (nil: no cold tier).
	Cold Cold
	// Sink receives committed changes (nil: they are not published).
	Sink Sink
	// Tables resolves the current secondary indexes of a written table,
	// which every commit maintains in its batch (nil: no table has any).
	Tables *tables.Registry
	// Failpoint, when set, is called at each named point of a commit
	// (FailpointBeforeWrite); tests use it to run something there.
	Failpoint func(point string)
}

// FailpointBeforeWrite is the point of a commit after it validated and
// marked its tables, before its batch is written, with its partitions
// locked.
const FailpointBeforeWrite = "txn.commit.before-write"

// Manager begins and commits transactions over one store.
type Manager struct {
	db       *kv.DB
	locks    *Locks
	lease    *seqLease
	cold     Cold
	sink     Sink
	tables   *tables.Registry
	counters *kv.ColumnFamily
	seq      *ids.Snowflake
	marks    keyMarks
	fail     func(point string)
}

// Open returns the transaction manager of db.
func Open(db *kv.DB, o Options) (*Manager, error) {
	if o.Locks == nil || o.Seq == nil {
		return nil, errors.New("txn: Options.Locks and Options.Seq are required")
	}
	lease, err := openSeqLease(db, o.Seq)
	if err != nil {
		return nil, fmt.Errorf("txn: %w", err)
	}
	counters, err := db.ColumnFamily(CountersFamily)
	if err != nil {
		return nil, fmt.Errorf("txn: %w", err)
	}
	return &Manager{db: db, locks: o.Locks, lease: lease, cold: o.Cold, sink: o.Sink, tables: o.Tables, counters: counters, seq: o.Seq,
		marks: keyMarks{cf: lease.cf}, fail: o.Failpoint}, nil
}

// CoverSeq makes b carry what keeps _seq above maxSeq, a _seq written
// without a commit (a restore), and above issued, one the generator
// issued that b records (RestoreSeq's): the generator issues ids above
// maxSeq from now on, and b carries the lease when either passes it, so
// that holds after a restart too. issued is not observed: the generator
// issued it, and observing it would skip the rest of its millisecond. The
// caller must call done after writing b, saying whether the write
// succeeded.
func (m *Manager) CoverSeq(b *kv.Batch, maxSeq, issued int64) (done func(written bool)) {
	// Observed before b is written: a commit racing the restore gets a
	// _seq above every restored one, even before they are visible.
	m.seq.Observe(maxSeq)
	return m.lease.cover(b, max(maxSeq, issued))
}

// RestoreSeq is the _seq a restore that writes versions up to maxSeq
// records as its tables' RestoredSeq (systable.TableMeta): above maxSeq
// and every _seq issued before, below every _seq issued after. The
// restore's batch must carry CoverSeq of it, which keeps it so after a
// restart.
func (m *Manager) RestoreSeq(maxSeq int64) int64 {
	m.seq.Observe(maxSeq)
	return m.seq.Next()
}

// Begin starts a transaction.
func (m *Manager) Begin() *Tx {
	// writes is made by the first Put: most transactions are a read's,
	// which writes nothing.
	return &Tx{m: m, start: time.Now().UTC().Truncate(time.Microsecond)}
}

// batch adds the writes to b: each row version, its secondary index
// entries, and one counter increment per partition of a flushed table. It
// returns the highest _seq written.
func (m *Manager) batch(b *kv.Batch, writes []*Write) (maxSeq int64, err error) {
	// One counter per partition; a statement's writes usually all go to
	// one, so its key is built once per run of writes to the same one.
	counters := make(map[string]int64, 1)
	var last *Write
	var lastKey string
	for _, w := range writes {
		b.Put(w.Table.CF, w.Key, w.Value)
		maxSeq = max(maxSeq, w.Seq)
		if w.Table.IsStream() {
			continue
		}
		if last == nil || last.Table.Meta.TableID != w.Table.Meta.TableID || last.Owner != w.Owner {
			last, lastKey = w, counterKey(w)
		}
		counters[lastKey]++
	}
	for k, n := range counters {
		b.AddCounter(m.counters, []byte(k), n)
	}
	return maxSeq, m.indexEntries(b, writes)
}

// publish hands the committed writes' changes to the sink, which leaves
// in w what the committer must do once its locks are released (Sink).
func (m *Manager) publish(writes []*Write, w *Wakes) {
	if m.sink == nil {
		return
	}
	if cs := changes(writes); len(cs) > 0 {
		m.sink.Publish(cs, w)
	}
}
