// Package streams owns the eviction of STREAM table events: a background
// sweeper that deletes events older than the table's TTL_SECONDS and trims
// each partition to its newest MAX_BUFFER events. Reads already hide
// expired events, so the sweeper bounds storage, not what clients see;
// events are never flushed to Parquet.
//
// A stream has one partition per user (keys: user prefix, big-endian
// milliseconds, _seq; see keyenc), so every rule applies per partition:
// TTL expiry is one range delete per partition with expired events, and
// MAX_BUFFER bounds each user's partition, so one user's burst never
// evicts another user's events. Trimming needs to know how many events a
// partition holds; the sweeper keeps that count in memory (seeded by one
// scan per table, raised by Inserted as events commit, lowered by exactly
// what each sweep deletes, which it walks), so a sweep costs in proportion
// to the partitions it visits and the events it removes, not to the buffer.
//
// An event's time (its key's) is the wall clock at its insert but never
// before its partition's newest event (tables.EventMillis), so key
// order is arrival order even after the clock steps back: MAX_BUFFER
// keeps the newest events, and TTL never expires an event early (after a
// step back it may keep one up to the step longer).
//
// Keys of the layout before streams were partitioned (no user prefix) are
// recognised by keyenc.IsLegacyStreamKey and deleted the first time the
// sweeper sees the table (Options.OnLegacyDropped reports how many): they
// are never read as some user's events.
package streams

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Options configure a Sweeper. Zero values take the defaults noted.
type Options struct {
	// Interval is the time between sweeps (default 1s).
	Interval time.Duration
	// RecountEvery is how many sweeps of a table pass between full
	// recounts of its partitions (default 300). Events committed while a
	// count runs can be counted twice or not at all; the recount bounds
	// how long such an error lasts.
	RecountEvery int
	// OnError receives errors of background sweeps (nil: dropped).
	OnError func(error)
	// OnLegacyDropped is told how many events of the unpartitioned key
	// layout (written by an older version) were deleted from a table.
	OnLegacyDropped func(tableID string, events int64)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Sweeper evicts STREAM table events. Safe for concurrent use.
type Sweeper struct {
	db   *kv.DB
	cat  *catalog.Catalog
	opts Options

	mu     sync.Mutex
	tables map[string]*tableState // by table id

	// sweepMu serialises sweeps (the background one and SweepOnce).
	sweepMu   sync.Mutex
	startOnce sync.Once
	stopOnce  sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

// tableState is what the sweeper knows of one table. parts (under
// Sweeper.mu) is shared with Inserted; the other fields belong to the
// sweep.
type tableState struct {
	created time.Time // of the table, so a re-created table starts afresh
	parts   map[string]*atomic.Int64

	legacyChecked bool
	counted       bool
	sweeps        int
}

// New builds a sweeper over the catalog's tables, whose events it
// deletes from db.
func New(db *kv.DB, cat *catalog.Catalog, o Options) *Sweeper {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.RecountEvery <= 0 {
		o.RecountEvery = 300
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sweeper{db: db, cat: cat, opts: o, tables: make(map[string]*tableState), stop: make(chan struct{})}
}

// Inserted records n events committed to userID's partition of STREAM
// table t (called by the live query manager as it sees them published).
// It never blocks.
func (s *Sweeper) Inserted(t *catalog.Table, userID string, n int) {
	s.partition(s.table(t), userID).Add(int64(n))
}

func (s *Sweeper) table(t *catalog.Table) *tableState {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tables[t.Meta.TableID]
	if ts == nil || !ts.created.Equal(t.Meta.CreatedAt) {
		ts = &tableState{created: t.Meta.CreatedAt, parts: make(map[string]*atomic.Int64)}
		s.tables[t.Meta.TableID] = ts
	}
	return ts
}

func (s *Sweeper) partition(ts *tableState, userID string) *atomic.Int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := ts.parts[userID]
	if c == nil {
		c = new(atomic.Int64)
		ts.parts[userID] = c
	}
	return c
}

// Start sweeps at once (dropping events of the legacy key layout), then
// every Interval until Stop.
func (s *Sweeper) Start() {
	s.startOnce.Do(func() {
		s.wg.Add(1)
		go s.loop()
	})
}

// Stop ends the background sweeps, waiting for one in progress.
func (s *Sweeper) Stop() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}

func (s *Sweeper) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		if err := s.SweepOnce(); err != nil && s.opts.OnError != nil {
			s.opts.OnError(err)
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// SweepOnce sweeps every STREAM table now.
func (s *Sweeper) SweepOnce() error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	now := s.opts.Now()
	snap := s.cat.Snapshot()
	live := make(map[string]bool)
	var errs []error
	for _, t := range snap.Tables("") {
		if t.Meta.TableType != dialect.TableTypeStream {
			continue
		}
		live[t.Meta.TableID] = true
		if err := s.sweep(t, now); err != nil && !errors.Is(err, kv.ErrDropped) {
			errs = append(errs, fmt.Errorf("sweep stream %s: %w", t.Meta.TableID, err))
		}
	}
	s.mu.Lock()
	for id := range s.tables {
		if !live[id] {
			delete(s.tables, id) // dropped
		}
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

// sweep deletes, in one batch, the expired events of each partition of t,
// then each partition's oldest events beyond MAX_BUFFER.
func (s *Sweeper) sweep(t *catalog.Table, now time.Time) error {
	cf, ok := s.db.LookupColumnFamily(t.Family)
	if !ok {
		return nil // dropped meanwhile
	}
	ts := s.table(t)
	if !ts.legacyChecked {
		if err := s.dropLegacy(t, cf); err != nil {
			return err
		}
		ts.legacyChecked = true
	}
	ttl, maxBuf := t.Meta.TTL().Milliseconds(), t.Meta.MaxBuffer
	if ttl <= 0 && maxBuf <= 0 {
		return nil
	}
	if maxBuf > 0 && (!ts.counted || ts.sweeps >= s.opts.RecountEvery) {
		if err := s.recount(ts, cf); err != nil {
			return err
		}
		ts.counted, ts.sweeps = true, 0
	}
	ts.sweeps++

	var b kv.Batch
	removed := make(map[string]int64)
	cutMs := now.UnixMilli() - ttl
	// A cut before the epoch (a TTL longer than the time since 1970)
	// expires nothing, and its key would take the negative time as
	// unsigned, past the partition's last event: a first key that does
	// not decode, which counts as expired, deleted the whole partition.
	expiring := ttl > 0 && cutMs > 0
	err := eachPartition(cf, func(user string, first []byte) error {
		prefix := keyenc.AppendUserPrefix(nil, user)
		// Deletes start at the partition's oldest event, not its prefix:
		// each sweep's range then begins where the last one ended. Ranges
		// that all begin at the prefix overlap, and RocksDB fragments the
		// overlapping tombstones of the memtable at every iterator over
		// the partition, in time that grows with their square (an active
		// partition gains one a second): after 2,000 sweeps one seek took
		// 0.78 ms instead of 7 us, and every INSERT makes one
		// (tables.NewestEventMillis); the 2,000 sweeps took 130 s instead of 2 s
		// (BenchmarkAttackcold18NewestAfterRealSweeps).
		start, n := bytes.Clone(first), int64(0)
		if expiring && expiredFirst(first[len(prefix):], cutMs) {
			cut := keyenc.StreamTimeBound(user, cutMs)
			if maxBuf > 0 {
				// The count must learn what goes; without MAX_BUFFER
				// nothing needs it.
				var err error
				if n, _, _, err = walk(cf, start, cut, -1); err != nil {
					return err
				}
			}
			b.DeleteRange(cf, start, cut)
			start = cut
		}
		if maxBuf > 0 {
			// Compared, not subtracted: the count can be short of the n
			// expired events just removed, and a negative count minus a
			// MAX_BUFFER near the int64 maximum wraps to a huge excess,
			// which trimmed every event of the partition.
			if held := s.partition(ts, user).Load() - n; held > maxBuf {
				excess := held - maxBuf
				got, keep, last, err := walk(cf, start, kv.PrefixEnd(prefix), excess)
				if err != nil {
					return err
				}
				if got > 0 {
					// keep is the oldest event that stays; nil when every
					// event was walked (the count was high): delete up to
					// and including the last one seen, not events
					// committed since.
					if keep == nil {
						keep = append(last, 0)
					}
					b.DeleteRange(cf, start, keep)
					n += got
				}
			}
		}
		if n > 0 {
			removed[user] = n
		}
		return nil
	})
	if err != nil || b.Len() == 0 {
		return err
	}
	if err := s.db.Write(&b); err != nil {
		return err
	}
	for user, n := range removed {
		s.partition(ts, user).Add(-n)
	}
	return nil
}

// expiredFirst reports whether a partition's first event (the local part
// of its key) is older than cutMs; an undecodable key counts as expired, so
// it does not linger.
func expiredFirst(local []byte, cutMs int64) bool {
	ms, _, err := keyenc.DecodeStreamLocal(local)
	return err != nil || ms < cutMs
}

// eachPartition calls f with the user id and first key of every partition
// of a stream family, seeking from one partition to the next, so the cost
// is one seek per partition whatever it holds. The key is valid during the
// call only.
func eachPartition(cf *kv.ColumnFamily, f func(user string, first []byte) error) error {
	it, err := cf.NewIter(kv.IterOptions{LowerBound: keyenc.LegacyStreamKeysEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; {
		user, _, err := keyenc.SplitUserKey(it.Key())
		if err != nil {
			return fmt.Errorf("stream key %q: %w", it.Key(), err)
		}
		if err := f(user, it.Key()); err != nil {
			return err
		}
		ok = it.SeekGE(kv.PrefixEnd(keyenc.AppendUserPrefix(nil, user)))
	}
	return it.Error()
}

// recount sets every partition's count from a scan of the family. Events
// committed during the scan were added to the counts meanwhile; they are
// kept on top of what the scan saw.
func (s *Sweeper) recount(ts *tableState, cf *kv.ColumnFamily) error {
	s.mu.Lock()
	before := make(map[string]int64, len(ts.parts))
	for user, c := range ts.parts {
		before[user] = c.Load()
	}
	s.mu.Unlock()
	seen := make(map[string]int64)
	err := eachPartition(cf, func(user string, _ []byte) error {
		prefix := keyenc.AppendUserPrefix(nil, user)
		n, _, _, err := walk(cf, prefix, kv.PrefixEnd(prefix), -1)
		seen[user] = n
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for user, c := range ts.parts {
		if _, ok := seen[user]; !ok && c.Add(-before[user]) <= 0 {
			delete(ts.parts, user) // emptied: no memory for users gone
		}
	}
	for user, n := range seen {
		c := ts.parts[user]
		if c == nil {
			c = new(atomic.Int64)
			ts.parts[user] = c
		}
		c.Add(n - before[user])
	}
	return nil
}

// dropLegacy deletes the events a version before per-user partitions
// wrote (keys without a user prefix) and reports how many it deleted.
// Stream events are ephemeral, and such an event has no owner to show it
// to, so dropping it is the only safe reading.
func (s *Sweeper) dropLegacy(t *catalog.Table, cf *kv.ColumnFamily) error {
	n, _, _, err := walk(cf, nil, keyenc.LegacyStreamKeysEnd, -1)
	if err != nil || n == 0 {
		return err
	}
	var b kv.Batch
	b.DeleteRange(cf, []byte{}, keyenc.LegacyStreamKeysEnd)
	if err := s.db.Write(&b); err != nil {
		return fmt.Errorf("drop %d events of the unpartitioned layout: %w", n, err)
	}
	if s.opts.OnLegacyDropped != nil {
		s.opts.OnLegacyDropped(t.Meta.TableID, n)
	}
	return nil
}

// walk counts the keys of [lo, hi) (nil: unbounded), stopping after limit
// keys when limit >= 0. next is a copy of the first key not counted (nil
// when the range was exhausted), last a copy of the last one counted.
func walk(cf *kv.ColumnFamily, lo, hi []byte, limit int64) (n int64, next, last []byte, err error) {
	it, err := cf.NewIter(kv.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, nil, nil, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if limit >= 0 && n == limit {
			return n, append([]byte(nil), it.Key()...), last, nil
		}
		n++
		if limit >= 0 {
			last = append(last[:0], it.Key()...)
		}
	}
	return n, nil, last, it.Error()
}
