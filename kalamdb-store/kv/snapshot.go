package kv

import (
	"errors"
	"sync"

	"github.com/linxGnu/grocksdb"
)

// errSnapshotClosed is returned when a closed snapshot is used.
var errSnapshotClosed = errors.New("kv: snapshot closed")

// Snapshot is a consistent point-in-time view of the whole DB (every column
// family). A flush reads its rows through one, so writes that land while it
// runs are neither half-seen nor lost.
type Snapshot struct {
	db   *DB
	s    *grocksdb.Snapshot
	ro   *grocksdb.ReadOptions
	live liveness
	// lo is a lower bound of the snapshot's sequence number (see
	// backcache.go).
	lo uint64
}

// NewSnapshot takes a snapshot. It holds a reference on the DB until Close.
func (d *DB) NewSnapshot() (*Snapshot, error) {
	if !d.live.acquire() {
		return nil, ErrClosed
	}
	// Before the snapshot: its own sequence number is at least lo, the
	// number every write that has returned had reached (no cgo call).
	lo := d.writtenSeq.Load()
	s := d.db.NewSnapshot()
	ro := d.snapReadOptions.get()
	ro.SetSnapshot(s)
	return &Snapshot{db: d, s: s, ro: ro, lo: lo}, nil
}

// readOptionsPool keeps the read options of closed snapshots for the next
// ones: creating and destroying them were two of a point lookup's seven
// cgo calls. A snapshot's options are only ever given its snapshot (its
// reads set nothing else on them; iterators have their own), and
// NewSnapshot sets the new snapshot before any read, so an option kept
// here pointing at a released snapshot is never read through.
type readOptionsPool struct {
	mu   sync.Mutex
	free []*grocksdb.ReadOptions
}

// maxPooledReadOptions bounds the pool: as many snapshots as are usually
// open at once; the options of more are destroyed on Close.
const maxPooledReadOptions = 64

func (p *readOptionsPool) get() *grocksdb.ReadOptions {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		ro := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return ro
	}
	p.mu.Unlock()
	return grocksdb.NewDefaultReadOptions()
}

func (p *readOptionsPool) put(ro *grocksdb.ReadOptions) {
	p.mu.Lock()
	if len(p.free) < maxPooledReadOptions {
		p.free = append(p.free, ro)
		ro = nil
	}
	p.mu.Unlock()
	if ro != nil {
		ro.Destroy()
	}
}

// destroy frees the kept options (DB.Close, once no snapshot is open).
func (p *readOptionsPool) destroy() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ro := range p.free {
		ro.Destroy()
	}
	p.free = nil
}

func (s *Snapshot) acquire() error {
	if !s.live.acquire() {
		return errSnapshotClosed
	}
	return nil
}

func (s *Snapshot) release() { s.live.release() }

// Get reads key in cf as of the snapshot.
func (s *Snapshot) Get(cf *ColumnFamily, key []byte) ([]byte, error) {
	if err := s.hold(cf); err != nil {
		return nil, err
	}
	defer s.unhold(cf)
	return getCF(s.db.db, s.ro, cf, key)
}

// hold takes references on the snapshot and cf for a read; unhold gives
// them back.
func (s *Snapshot) hold(cf *ColumnFamily) error {
	if err := s.acquire(); err != nil {
		return err
	}
	if err := cf.acquire(); err != nil {
		s.release()
		return err
	}
	return nil
}

func (s *Snapshot) unhold(cf *ColumnFamily) {
	cf.release()
	s.release()
}

// SeqLowerBound is a lower bound of the snapshot's sequence number: every
// write that had returned from DB.Write before the snapshot was taken has
// a sequence number at most this, and so is visible in it.
func (s *Snapshot) SeqLowerBound() uint64 { return s.lo }

// Close releases the snapshot after iterators opened on it are closed.
// It is safe to call more than once.
func (s *Snapshot) Close() error {
	if !s.live.closeAndDrain() {
		return nil
	}
	s.db.db.ReleaseSnapshot(s.s)
	s.db.snapReadOptions.put(s.ro)
	s.db.live.release()
	return nil
}
