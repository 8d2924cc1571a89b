package kv

import (
	"errors"

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
	ro := grocksdb.NewDefaultReadOptions()
	ro.SetSnapshot(s)
	return &Snapshot{db: d, s: s, ro: ro, lo: lo}, nil
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
	s.ro.Destroy()
	s.db.db.ReleaseSnapshot(s.s)
	s.db.live.release()
	return nil
}
