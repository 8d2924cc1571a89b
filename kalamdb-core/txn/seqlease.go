package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// seqLeaseFamily holds the transactions' own durable state (the family
// keeps its first name, engine_meta): for now only the
// _seq lease.
const seqLeaseFamily = "engine_meta"

var seqLeaseKey = []byte("seq_lease")

// seqLeaseWindow is how far past the newest committed _seq a lease
// reaches: at most one extra put per window of writes.
const seqLeaseWindow = 10 * time.Second

// seqLease keeps _seq (and SNOWFLAKE_ID()) increasing across restarts even
// when the wall clock goes back, say after an NTP correction or a restore
// onto a machine whose clock is behind. Versions of a key are ordered by
// _seq and live queries resume from one (from_seq_id), so a _seq below one
// already committed would hide a write behind an older version.
//
// Invariant: every committed _seq is at or below the persisted lease. A
// commit whose newest _seq passes the lease puts a new lease (that _seq's
// millisecond plus seqLeaseWindow) in its own write batch, so the lease is
// durable exactly when the data is. At open the generator observes the
// lease, so every later id is above every id committed before. Extensions
// are serialised (mu is held from computing a new lease until its batch is
// written), so leases are persisted in increasing order; commits that stay
// below the lease, nearly all of them, take no lock.
type seqLease struct {
	cf *kv.ColumnFamily
	mu sync.Mutex
	// until is the persisted lease, in Unix milliseconds.
	until atomic.Int64
}

// openSeqLease reads the lease and makes gen issue ids above it.
func openSeqLease(db *kv.DB, gen *ids.Snowflake) (*seqLease, error) {
	cf, err := db.ColumnFamily(seqLeaseFamily)
	if err != nil {
		return nil, fmt.Errorf("open _seq lease: %w", err)
	}
	l := &seqLease{cf: cf}
	raw, err := cf.Get(seqLeaseKey)
	switch {
	case errors.Is(err, kv.ErrNotFound):
		return l, nil
	case err != nil:
		return nil, fmt.Errorf("read _seq lease: %w", err)
	case len(raw) != 8:
		return nil, fmt.Errorf("read _seq lease: %d bytes, want 8", len(raw))
	}
	until := int64(binary.BigEndian.Uint64(raw))
	l.until.Store(until)
	gen.Observe(ids.FirstOfMillisecond(time.UnixMilli(until)))
	return l, nil
}

// cover makes b extend the lease when maxSeq passes it. The caller must
// call done after writing b, saying whether the write succeeded.
func (l *seqLease) cover(b *kv.Batch, maxSeq int64) (done func(written bool)) {
	ms := ids.TimeOf(maxSeq).UnixMilli()
	if ms <= l.until.Load() {
		return func(bool) {}
	}
	l.mu.Lock()
	if ms <= l.until.Load() { // extended meanwhile
		l.mu.Unlock()
		return func(bool) {}
	}
	next := ms + seqLeaseWindow.Milliseconds()
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(next))
	b.Put(l.cf, seqLeaseKey, raw[:])
	return func(written bool) {
		if written {
			l.until.Store(next)
		}
		l.mu.Unlock()
	}
}
