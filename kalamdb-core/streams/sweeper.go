// Package streams owns the eviction of STREAM table events (DESIGN §6):
// a background sweeper that deletes events older than the table's
// TTL_SECONDS and trims each table to its newest MAX_BUFFER events. Reads
// already hide expired events, so the sweeper bounds storage, not what
// clients see; events are never flushed to Parquet.
//
// Stream keys are (big-endian milliseconds, _seq), so the events below a
// time are one key range: expiry is a single range delete. Trimming needs
// to know how many events a table holds; the sweeper keeps that count in
// memory (seeded by one scan per table, raised by Inserted as events
// commit, lowered by exactly what each sweep deletes, which it walks), so a
// sweep costs in proportion to the events it removes, not to the buffer.
package streams

import (
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
	// recounts of its buffer (default 300). Events committed while a
	// count runs can be counted twice or not at all; the recount bounds
	// how long such an error lasts.
	RecountEvery int
	// OnError receives errors of background sweeps (nil: dropped).
	OnError func(error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Sweeper evicts STREAM table events. Safe for concurrent use.
type Sweeper struct {
	cat  *catalog.Catalog
	opts Options

	mu     sync.Mutex
	counts map[string]*counter // by table id

	// sweepMu serialises sweeps (the background one and SweepOnce).
	sweepMu   sync.Mutex
	startOnce sync.Once
	stopOnce  sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

// counter is a table's event count. n is shared with Inserted; the other
// fields belong to the sweep.
type counter struct {
	created time.Time // of the table, so a re-created table starts afresh
	n       atomic.Int64
	counted bool
	sweeps  int
}

// New builds a sweeper over the catalog's tables.
func New(cat *catalog.Catalog, o Options) *Sweeper {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.RecountEvery <= 0 {
		o.RecountEvery = 300
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sweeper{cat: cat, opts: o, counts: make(map[string]*counter), stop: make(chan struct{})}
}

// Inserted records n events committed to STREAM table t (called by the
// live query manager as it sees them published). It never blocks.
func (s *Sweeper) Inserted(t *catalog.Table, n int) {
	s.counter(t).n.Add(int64(n))
}

func (s *Sweeper) counter(t *catalog.Table) *counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts[t.Meta.TableID]
	if c == nil || !c.created.Equal(t.Meta.CreatedAt) {
		c = &counter{created: t.Meta.CreatedAt}
		s.counts[t.Meta.TableID] = c
	}
	return c
}

// Start runs a sweep every Interval until Stop.
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
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.SweepOnce(); err != nil && s.opts.OnError != nil {
				s.opts.OnError(err)
			}
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
	for id := range s.counts {
		if !live[id] {
			delete(s.counts, id) // dropped
		}
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

// sweep deletes t's expired events, then its oldest events beyond
// MAX_BUFFER, in one batch.
func (s *Sweeper) sweep(t *catalog.Table, now time.Time) error {
	ttl, maxBuf := t.Meta.TTLSeconds, t.Meta.MaxBuffer
	if ttl <= 0 && maxBuf <= 0 {
		return nil
	}
	cf, ok := s.cat.DB().LookupColumnFamily(t.Family)
	if !ok {
		return nil // dropped meanwhile
	}
	c := s.counter(t)
	if maxBuf > 0 && (!c.counted || c.sweeps >= s.opts.RecountEvery) {
		before := c.n.Load()
		n, _, _, err := walk(cf, nil, nil, -1)
		if err != nil {
			return err
		}
		// Events committed during the scan were added meanwhile; keep
		// them on top of what the scan saw.
		c.n.Add(n - before)
		c.counted, c.sweeps = true, 0
	}
	c.sweeps++

	var b kv.Batch
	var removed int64
	start := []byte{}
	if ttl > 0 {
		cut := keyenc.StreamKey(now.UnixMilli()-ttl*1000, 0)
		n, _, _, err := walk(cf, nil, cut, -1)
		if err != nil {
			return err
		}
		if n > 0 {
			b.DeleteRange(cf, start, cut)
			removed, start = n, cut
		}
	}
	if maxBuf > 0 {
		if excess := c.n.Load() - removed - maxBuf; excess > 0 {
			n, keep, last, err := walk(cf, start, nil, excess)
			if err != nil {
				return err
			}
			if n > 0 {
				// keep is the oldest event that stays; nil when every
				// event was walked (the count was high): delete up to and
				// including the last one seen, not events committed since.
				if keep == nil {
					keep = append(last, 0)
				}
				b.DeleteRange(cf, start, keep)
				removed += n
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.cat.DB().Write(&b); err != nil {
		return err
	}
	c.n.Add(-removed)
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
