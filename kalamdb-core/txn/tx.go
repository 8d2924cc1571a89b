package txn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Write is a transaction's latest write of one key.
type Write struct {
	Table *tables.Table
	// Owner is the partition owner ("" for SHARED tables).
	Owner string
	Key   []byte
	Value []byte
	Seq   int64
	// Insert: commit fails with a duplicate key if the key has a live
	// version.
	Insert bool
	// ExpectSeq: unless Insert, commit fails with a write conflict unless
	// the key's committed version has this _seq (0: it had none when it
	// was read).
	ExpectSeq int64
	// Live is whether Value is a live (not deleted) version.
	Live bool
	// Before and After are the user column values of the version this
	// transaction replaced (nil when there was no live one) and of the
	// version it writes, for the change feed; BeforeSeq is the _seq of
	// the replaced version.
	Before, After []any
	BeforeSeq     int64

	// committed is the hot version this write replaces, as commit
	// validation read it under the partition lock (nil: none; the newest
	// version is cold or there is none), for index maintenance.
	committed []byte
}

// Size is about the memory a pending write holds until commit: its
// encoded key and value, and as much again for the values the change feed
// keeps.
func (w *Write) Size() int64 { return 2 * int64(len(w.Key)+len(w.Value)) }

// Tx collects the writes of one statement or of a BEGIN ... COMMIT block
// and applies them as one write batch (see the package doc).
type Tx struct {
	m *Manager

	mu     sync.Mutex
	writes map[string]*Write // by writeID
	order  []string          // ids of writes, first-write order
	size   int64             // the sum of the writes' Size
	// identities maps the _seq of a row version read by this transaction
	// to its hot key, for tables without a primary key, whose key (the
	// _seq of the row's first version) is not in the row itself.
	identities map[int64][]byte
	// cold remembers the cold versions looked up, by writeID.
	cold map[string]coldCheck
	done bool
	// start is when the transaction began: now() of every statement in
	// it, as in PostgreSQL.
	start time.Time
}

// coldCheck is a cold lookup and the epoch of the table's cold files it
// was made at.
type coldCheck struct {
	epoch uint64
	v     ColdVersion
}

func writeID(family string, key []byte) string {
	return family + "\x00" + string(key)
}

// Start is when the transaction began (UTC, microseconds).
func (tx *Tx) Start() time.Time { return tx.start }

// Put records a write, merging with an earlier write of the same key: the
// first write's expectations stay (they describe the committed state the
// transaction started from; later writes read the transaction's own
// version), the value is the latest.
func (tx *Tx) Put(w *Write) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return apierror.New(apierror.SQLExecutionError, "transaction is already finished")
	}
	id := writeID(w.Table.Family, w.Key)
	if prev, ok := tx.writes[id]; ok {
		// The change a subscriber sees goes from the committed version to
		// the last one written.
		tx.size -= prev.Size()
		prev.Value, prev.Seq, prev.Live, prev.After = w.Value, w.Seq, w.Live, w.After
		tx.size += prev.Size()
		return nil
	}
	tx.writes[id] = w
	tx.order = append(tx.order, id)
	tx.size += w.Size()
	return nil
}

// Size is about the memory the transaction's pending writes hold.
func (tx *Tx) Size() int64 {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.size
}

// Pending returns the transaction's own version of a key of t, if it
// wrote one.
func (tx *Tx) Pending(t *tables.Table, key []byte) (*Write, bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	w, ok := tx.writes[writeID(t.Family, key)]
	return w, ok
}

// PendingRange returns the transaction's writes of t in [start, end)
// (end nil: to the end), sorted by key. It is a copy: writes made while a
// scan runs are not seen by that scan, so an UPDATE never revisits rows
// it wrote.
func (tx *Tx) PendingRange(t *tables.Table, start, end []byte) []*Write {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	var out []*Write
	for _, w := range tx.writes {
		if w.Table.CF != t.CF || bytes.Compare(w.Key, start) < 0 || (end != nil && bytes.Compare(w.Key, end) >= 0) {
			continue
		}
		cp := *w
		out = append(out, &cp)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

// RememberIdentity records the hot key of a row version read from a table
// without a primary key.
func (tx *Tx) RememberIdentity(seq int64, key []byte) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.identities == nil {
		tx.identities = make(map[int64][]byte)
	}
	tx.identities[seq] = append([]byte(nil), key...)
}

// Identity returns the hot key of a row version RememberIdentity saw.
func (tx *Tx) Identity(seq int64) ([]byte, bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	k, ok := tx.identities[seq]
	return k, ok
}

// Exists reports whether key (in owner's partition of t) has a live
// version as the transaction sees it: its own write, else the committed
// hot version, else the newest cold one. The cold answer is remembered for
// Commit.
func (tx *Tx) Exists(ctx context.Context, t *tables.Table, owner string, key []byte) (bool, error) {
	if w, ok := tx.Pending(t, key); ok {
		return w.Live, nil
	}
	v, err := t.CF.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		if t.IsStream() {
			return false, nil
		}
		cv, err := tx.coldVersion(ctx, t, owner, key)
		if err != nil {
			return false, err
		}
		return cv.Found && !cv.Deleted, nil
	}
	if err != nil {
		return false, tables.Error(t.Table, err)
	}
	h, err := row.DecodeHeader(v)
	if err != nil {
		return false, tables.Error(t.Table, err)
	}
	return !h.Deleted, nil
}

// coldVersion is the newest cold version of a key: the one this
// transaction looked up before, unless the table's cold files changed
// since, else a lookup.
func (tx *Tx) coldVersion(ctx context.Context, t *tables.Table, owner string, key []byte) (ColdVersion, error) {
	if tx.m.cold == nil {
		return ColdVersion{}, nil
	}
	id := writeID(t.Family, key)
	// The epoch is read before the manifest: a change of the files after
	// this point moves it, and the answer is not reused.
	epoch := tx.m.cold.Epoch(t.Meta.TableID)
	tx.mu.Lock()
	c, ok := tx.cold[id]
	tx.mu.Unlock()
	if ok && c.epoch == epoch {
		return c.v, nil
	}
	v, err := tx.m.cold.NewestVersion(ctx, t.Table, owner, t.LocalKey(owner, key))
	if err != nil {
		return ColdVersion{}, err
	}
	tx.mu.Lock()
	if tx.cold == nil {
		tx.cold = make(map[string]coldCheck)
	}
	tx.cold[id] = coldCheck{epoch: epoch, v: v}
	tx.mu.Unlock()
	return v, nil
}

// Rollback discards every write.
func (tx *Tx) Rollback() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.done = true
	tx.writes, tx.order, tx.identities, tx.cold, tx.size = nil, nil, nil, nil, 0
}

// Commit validates and applies the writes atomically and returns how many
// rows were written. A transaction whose context has ended (its statement
// timed out or its client went away) writes nothing: the context is
// checked before the commit and while it validates, up to the write of
// the batch, which is atomic.
func (tx *Tx) Commit(ctx context.Context) (int64, error) {
	if ctx.Err() != nil {
		tx.Rollback()
		return 0, fmt.Errorf("commit: %w", context.Cause(ctx))
	}
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return 0, apierror.New(apierror.SQLExecutionError, "transaction is already finished")
	}
	tx.done = true
	writes := make([]*Write, len(tx.order))
	parts := make([]Partition, len(tx.order))
	for i, id := range tx.order {
		w := tx.writes[id]
		writes[i], parts[i] = w, Partition{Family: w.Table.Family, Owner: w.Owner}
	}
	tx.mu.Unlock()
	if len(writes) == 0 {
		return 0, nil
	}

	unlock := tx.m.locks.Lock(parts...)
	defer unlock()
	for _, w := range writes {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("commit: %w", context.Cause(ctx))
		}
		if err := tx.validate(ctx, w); err != nil {
			return 0, err
		}
	}
	var b kv.Batch
	maxSeq, err := tx.m.batch(&b, writes)
	if err != nil {
		return 0, err
	}
	leaseDone := tx.m.lease.cover(&b, maxSeq)
	err = tx.m.db.Write(&b)
	leaseDone(err == nil)
	if err != nil {
		if errors.Is(err, kv.ErrDropped) {
			return 0, apierror.New(apierror.TableNotFound, "a table written by this statement was dropped meanwhile")
		}
		return 0, fmt.Errorf("commit: %w", err)
	}
	// Published while the partitions are still locked, so a subscriber
	// registered under the same locks sees each commit exactly once: in
	// its snapshot or in its feed.
	tx.m.publish(writes)
	return int64(len(writes)), nil
}

// validate checks a write's expectation against the committed version
// of its key: the hot one, or when there is none the newest cold one (a
// flush may have moved it; manifests change only under the partition lock
// the commit holds).
func (tx *Tx) validate(ctx context.Context, w *Write) error {
	t := w.Table
	cur, err := t.CF.Get(w.Key)
	var curSeq int64
	var curLive bool
	switch {
	case errors.Is(err, kv.ErrNotFound):
		if !t.IsStream() {
			cv, err := tx.coldVersion(ctx, t, w.Owner, w.Key)
			if err != nil {
				return fmt.Errorf("commit: %s: %w", t.Meta.TableID, err)
			}
			if cv.Found {
				curSeq, curLive = cv.Seq, !cv.Deleted
			}
		}
	case errors.Is(err, kv.ErrDropped):
		return apierror.New(apierror.TableNotFound, "table %s.%s was dropped meanwhile", t.Meta.NamespaceID, t.Meta.TableName)
	case err != nil:
		return fmt.Errorf("commit: read %s: %w", t.Meta.TableID, err)
	default:
		h, err := row.DecodeHeader(cur)
		if err != nil {
			return fmt.Errorf("commit: %s: %w", t.Meta.TableID, err)
		}
		curSeq, curLive = h.Seq, !h.Deleted
		w.committed = cur
	}
	if w.Insert {
		if curLive {
			return DuplicateKeyError(t.Table)
		}
		return nil
	}
	if curSeq != w.ExpectSeq {
		return apierror.New(apierror.SQLExecutionError, "write conflict on %s.%s: the row was changed by another statement meanwhile; retry",
			t.Meta.NamespaceID, t.Meta.TableName)
	}
	return nil
}

// DuplicateKeyError is the error of a commit that would give a second
// live version to a primary key.
func DuplicateKeyError(t *catalog.Table) error {
	return apierror.New(apierror.InvalidInput, "duplicate primary key in %s.%s", t.Meta.NamespaceID, t.Meta.TableName)
}

// counterKey is the key of the buffered-row counter of a write's
// partition.
func counterKey(w *Write) string {
	return string(keyenc.CounterKey(w.Table.Meta.NamespaceID, w.Table.Meta.TableName, w.Owner))
}
