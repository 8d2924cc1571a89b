package kv

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/linxGnu/grocksdb"
)

// ColumnFamily is a handle on one column family. Handles stay valid until
// the family is dropped or the DB is closed; after that every operation
// fails with ErrDropped or ErrClosed instead of touching freed memory.
type ColumnFamily struct {
	db   *DB
	name string
	h    *grocksdb.ColumnFamilyHandle
	// id is RocksDB's id of the family, used in serialised batches.
	id   uint32
	live liveness

	// hooks are the OnCommit functions; Write loads the slice without a
	// lock, so it is replaced, never modified, under hookMu.
	hookMu sync.Mutex
	hooks  atomic.Pointer[[]*commitHook]

	// hints are where backward reads of the family's prefixes start.
	hints backwardHints
	// windows are the entries the last backward reads of prefixes
	// yielded; inflight, lastSeq, coarse and the prefix marks say
	// whether the family changed since (backcache.go).
	windows  backwardWindows
	inflight atomic.Int64
	lastSeq  atomic.Uint64
	coarse   atomic.Uint64
	// marked are the marks writes set. markMu serialises changing them
	// and guards demand, the reads of lengths without a slot.
	marked atomic.Pointer[prefixMarks]
	markMu sync.Mutex
	demand lengthDemand
}

type commitHook struct{ f func() }

// OnCommit registers f to run after every batch that writes to the family
// has been applied: on the writing goroutine, before DB.Write returns,
// once per batch. It lets a reader of the family (say, a live query on a
// system table) learn that the family changed, whoever wrote it. f runs
// with whatever locks the writer holds, so it must not block or write to
// the store; it should only note the change for another goroutine. The
// returned function removes the hook.
func (cf *ColumnFamily) OnCommit(f func()) (remove func()) {
	h := &commitHook{f: f}
	cf.hookMu.Lock()
	defer cf.hookMu.Unlock()
	var next []*commitHook
	if cur := cf.hooks.Load(); cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, h)
	cf.hooks.Store(&next)
	return func() {
		cf.hookMu.Lock()
		defer cf.hookMu.Unlock()
		cur := cf.hooks.Load()
		if cur == nil {
			return
		}
		next := slices.DeleteFunc(slices.Clone(*cur), func(x *commitHook) bool { return x == h })
		cf.hooks.Store(&next)
	}
}

// committed runs the family's hooks after a batch wrote to it.
func (cf *ColumnFamily) committed() {
	if hooks := cf.hooks.Load(); hooks != nil {
		for _, h := range *hooks {
			h.f()
		}
	}
}

// Name is the column family name.
func (cf *ColumnFamily) Name() string { return cf.name }

// acquire takes a reference on the DB and the family for one operation.
func (cf *ColumnFamily) acquire() error {
	if !cf.db.live.acquire() {
		return ErrClosed
	}
	if !cf.live.acquire() {
		cf.db.live.release()
		return fmt.Errorf("%s: %w", cf.name, ErrDropped)
	}
	return nil
}

func (cf *ColumnFamily) release() {
	cf.live.release()
	cf.db.live.release()
}

// Get returns a copy of the value stored under key, or ErrNotFound.
func (cf *ColumnFamily) Get(key []byte) ([]byte, error) {
	if err := cf.acquire(); err != nil {
		return nil, err
	}
	defer cf.release()
	return getCF(cf.db.db, cf.db.ro, cf, key)
}

func getCF(db *grocksdb.DB, ro *grocksdb.ReadOptions, cf *ColumnFamily, key []byte) ([]byte, error) {
	s, err := db.GetPinnedCF(ro, cf.h, key)
	if err != nil {
		return nil, fmt.Errorf("kv: get %s: %w", cf.name, err)
	}
	defer s.Destroy()
	if !s.Exists() {
		return nil, ErrNotFound
	}
	// Data is a view of C memory that dies with s: hand out a Go copy.
	return append([]byte(nil), s.Data()...), nil
}

// Put stores value under key as a single-operation batch.
func (cf *ColumnFamily) Put(key, value []byte) error {
	var b Batch
	b.Put(cf, key, value)
	return cf.db.Write(&b)
}

// Delete removes key as a single-operation batch. Deleting a missing key is
// not an error.
func (cf *ColumnFamily) Delete(key []byte) error {
	var b Batch
	b.Delete(cf, key)
	return cf.db.Write(&b)
}

// CompactRange compacts the family's keys in [start, end) (nil: open),
// flushing the memtable first when it holds keys of the range. Versions
// that deletes and range deletions made obsolete are then gone from the
// files, so iterators no longer step over them one by one (RocksDB walks
// the keys a range tombstone covers, backwards especially, until a
// compaction drops them). It blocks until the compaction is done; other
// compactions (of any family) go on meanwhile.
func (cf *ColumnFamily) CompactRange(start, end []byte) error {
	if err := cf.acquire(); err != nil {
		return err
	}
	defer cf.release()
	opts := grocksdb.NewCompactRangeOptions()
	defer opts.Destroy()
	opts.SetExclusiveManualCompaction(false)
	cf.db.db.CompactRangeCFOpt(cf.h, grocksdb.Range{Start: start, Limit: end}, opts)
	return nil
}

// Counter reads the int64 counter stored under key by Batch.AddCounter; a
// missing counter is 0.
func (cf *ColumnFamily) Counter(key []byte) (int64, error) {
	v, err := cf.Get(key)
	if err == ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, ok := decodeCounter(v)
	if !ok {
		return 0, fmt.Errorf("kv: counter %s/%x: malformed value of %d bytes", cf.name, key, len(v))
	}
	return n, nil
}

// DB is the database the family belongs to.
func (cf *ColumnFamily) DB() *DB { return cf.db }
