package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Tx collects the writes of one statement (autocommit) or of a BEGIN ...
// COMMIT block, and applies them as one RocksDB write batch.
//
// Concurrency control is optimistic: each write records what it expects of
// the hot version it replaces (absent for an INSERT, the _seq it read for
// an UPDATE or DELETE). Commit locks the partitions it touches, in a global
// order so two commits never deadlock, re-reads those versions, and fails
// without writing anything if another commit changed them in between. A
// duplicate primary key from a concurrent INSERT is therefore caught at
// commit even when both statements checked before either committed.
type Tx struct {
	e *Engine

	mu     sync.Mutex
	writes map[string]*pendingWrite // by family + 0x00 + key
	order  []string                 // keys of writes, first-write order
	// identities maps the _seq of a row version read by this transaction
	// to its hot key, for tables without a primary key, whose key (the
	// _seq of the row's first version) is not in the row itself.
	identities map[int64][]byte
	done       bool
	// start is when the transaction began: now() of every statement in
	// it, as in PostgreSQL.
	start time.Time
}

// pendingWrite is the latest write of one key in a transaction.
type pendingWrite struct {
	table  *catalog.Table
	cf     *kv.ColumnFamily
	userID string // partition owner ("" for SHARED tables)
	key    []byte
	value  []byte
	seq    int64
	// mustBeAbsent: commit fails if the key has a live hot version.
	mustBeAbsent bool
	// expectSeq: commit fails unless the key's hot version has this _seq
	// (0: the key had no hot version when it was read).
	expectSeq int64
	// live is whether value is a live (not deleted) version.
	live bool
	// before and after are the user column values of the version this
	// transaction replaced (nil when there was no live one) and of the
	// version it writes, for the change feed of live queries.
	before, after []any
	beforeSeq     int64
}

// BeginTx starts a transaction.
func (e *Engine) BeginTx() *Tx {
	return &Tx{e: e, writes: make(map[string]*pendingWrite), start: time.Now().UTC().Truncate(time.Microsecond)}
}

func writeID(family string, key []byte) string {
	return family + "\x00" + string(key)
}

// put records a write, merging with an earlier write of the same key: the
// first write's expectations stay (they describe the committed state the
// transaction started from; later writes read the transaction's own
// version), the value is the latest.
func (tx *Tx) put(w *pendingWrite) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return apierror.New(apierror.SQLExecutionError, "transaction is already finished")
	}
	id := writeID(w.cf.Name(), w.key)
	if prev, ok := tx.writes[id]; ok {
		// The change a subscriber sees goes from the committed version to
		// the last one written.
		prev.value, prev.seq, prev.live, prev.after = w.value, w.seq, w.live, w.after
		return nil
	}
	tx.writes[id] = w
	tx.order = append(tx.order, id)
	return nil
}

// pending returns the transaction's own version of a key, if it wrote one.
func (tx *Tx) pending(cf *kv.ColumnFamily, key []byte) (*pendingWrite, bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	w, ok := tx.writes[writeID(cf.Name(), key)]
	return w, ok
}

// pendingRange returns the transaction's writes in [start, end) of a
// family, sorted by key. It is a copy: writes made while a scan runs are
// not seen by that scan, so an UPDATE never revisits rows it wrote.
func (tx *Tx) pendingRange(cf *kv.ColumnFamily, start, end []byte) []*pendingWrite {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	var out []*pendingWrite
	for _, w := range tx.writes {
		if w.cf != cf || bytes.Compare(w.key, start) < 0 || (end != nil && bytes.Compare(w.key, end) >= 0) {
			continue
		}
		cp := *w
		out = append(out, &cp)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].key, out[j].key) < 0 })
	return out
}

// rememberIdentity records the hot key of a row version read from a table
// without a primary key.
func (tx *Tx) rememberIdentity(seq int64, key []byte) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.identities == nil {
		tx.identities = make(map[int64][]byte)
	}
	tx.identities[seq] = append([]byte(nil), key...)
}

func (tx *Tx) identity(seq int64) ([]byte, bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	k, ok := tx.identities[seq]
	return k, ok
}

// Rollback discards every write.
func (tx *Tx) Rollback() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.done = true
	tx.writes, tx.order, tx.identities = nil, nil, nil
}

// Commit validates and applies the writes atomically and returns how many
// rows were written.
func (tx *Tx) Commit(ctx context.Context) (int64, error) {
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return 0, apierror.New(apierror.SQLExecutionError, "transaction is already finished")
	}
	tx.done = true
	writes := make([]*pendingWrite, len(tx.order))
	for i, id := range tx.order {
		writes[i] = tx.writes[id]
	}
	tx.mu.Unlock()
	if len(writes) == 0 {
		return 0, nil
	}

	unlock := tx.e.locks.lock(writes)
	defer unlock()

	var b kv.Batch
	counters := make(map[string]int64)
	var countersCF *kv.ColumnFamily
	var maxSeq int64
	for _, w := range writes {
		if err := tx.validate(ctx, w); err != nil {
			return 0, err
		}
		b.Put(w.cf, w.key, w.value)
		maxSeq = max(maxSeq, w.seq)
		if w.table.Meta.TableType != dialect.TableTypeStream {
			counters[string(keyenc.CounterKey(w.table.Meta.NamespaceID, w.table.Meta.TableName, w.userID))]++
		}
	}
	if len(counters) > 0 {
		cf, err := tx.e.countersFamily()
		if err != nil {
			return 0, err
		}
		countersCF = cf
		for k, n := range counters {
			b.AddCounter(countersCF, []byte(k), n)
		}
	}
	leaseDone := tx.e.seqLease.cover(&b, maxSeq)
	err := tx.e.cat.DB().Write(&b)
	leaseDone(err == nil)
	if err != nil {
		if errors.Is(err, kv.ErrDropped) {
			return 0, apierror.New(apierror.TableNotFound, "a table written by this statement was dropped meanwhile")
		}
		return 0, fmt.Errorf("commit: %w", err)
	}
	// Published while the partitions are still locked, so a subscriber
	// registered under the same locks sees each commit exactly once: in
	// its snapshot or in its feed (see Engine.OpenPartitionFeed).
	tx.e.publish(writes)
	return int64(len(writes)), nil
}

// validate checks a write's expectation against the committed version
// of its key: the hot one, or when there is none the newest cold one (a
// flush may have moved it; manifests change only under the same partition
// lock the commit holds).
func (tx *Tx) validate(ctx context.Context, w *pendingWrite) error {
	cur, err := w.cf.Get(w.key)
	var curSeq int64
	var curLive bool
	switch {
	case errors.Is(err, kv.ErrNotFound):
		if w.table.Meta.TableType != dialect.TableTypeStream {
			local := w.key
			if w.table.Meta.TableType == dialect.TableTypeUser {
				local = w.key[len(w.userID)+1:]
			}
			seq, deleted, found, err := tx.e.coldVersion(ctx, w.table, w.userID, local)
			if err != nil {
				return fmt.Errorf("commit: %s: %w", w.table.Meta.TableID, err)
			}
			if found {
				curSeq, curLive = seq, !deleted
			}
		}
	case errors.Is(err, kv.ErrDropped):
		return apierror.New(apierror.TableNotFound, "table %s.%s was dropped meanwhile", w.table.Meta.NamespaceID, w.table.Meta.TableName)
	case err != nil:
		return fmt.Errorf("commit: read %s: %w", w.table.Meta.TableID, err)
	default:
		h, err := row.DecodeHeader(cur)
		if err != nil {
			return fmt.Errorf("commit: %s: %w", w.table.Meta.TableID, err)
		}
		curSeq, curLive = h.Seq, !h.Deleted
	}
	if w.mustBeAbsent {
		if curLive {
			return duplicateKeyError(w.table)
		}
		return nil
	}
	if curSeq != w.expectSeq {
		return apierror.New(apierror.SQLExecutionError, "write conflict on %s.%s: the row was changed by another statement meanwhile; retry",
			w.table.Meta.NamespaceID, w.table.Meta.TableName)
	}
	return nil
}

func duplicateKeyError(t *catalog.Table) error {
	return apierror.New(apierror.InvalidInput, "duplicate primary key in %s.%s", t.Meta.NamespaceID, t.Meta.TableName)
}

// partitionLocks serialise commits per partition (one user of a USER or
// STREAM table, or a whole SHARED table). Partitions hash onto a fixed set of
// stripes; a commit takes its stripes in index order, so two commits can
// never wait on each other in a cycle.
type partitionLocks struct {
	seed    maphash.Seed
	once    sync.Once
	stripes [256]sync.Mutex
}

func (l *partitionLocks) lock(writes []*pendingWrite) (unlock func()) {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	var idx []int
	seen := make(map[int]bool)
	for _, w := range writes {
		var h maphash.Hash
		h.SetSeed(l.seed)
		h.WriteString(w.cf.Name())
		h.WriteByte(0)
		h.WriteString(w.userID)
		i := int(h.Sum64() % uint64(len(l.stripes)))
		if !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for j := len(idx) - 1; j >= 0; j-- {
			l.stripes[idx[j]].Unlock()
		}
	}
}

// countersFamily is the column family of per-partition buffered-row
// counters that drive row-count flush policies.
func (e *Engine) countersFamily() (*kv.ColumnFamily, error) {
	return e.cat.DB().ColumnFamily("user_table_counters")
}
