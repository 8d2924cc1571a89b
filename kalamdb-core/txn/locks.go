package txn

import (
	"hash/maphash"
	"sort"
	"sync"
)

// Partition names one partition of a table: its column family and owner
// (the user of a USER or STREAM table, "" for a SHARED one).
type Partition struct {
	Family string
	Owner  string
}

// Locks serialise the writers of each partition: commits, flushes,
// compactions, and the registration of live subscribers. Partitions hash
// onto a fixed set of stripes; a locker takes its stripes in index order,
// so two lockers can never wait on each other in a cycle.
type Locks struct {
	seed    maphash.Seed
	stripes [256]stripe
}

// stripe is one lock of Locks and what its holder may read and change.
type stripe struct {
	sync.Mutex
	// newest is the largest _seq committed since the process started to
	// a partition that hashes to this stripe (Tx.Commit keeps a
	// partition's _seq in commit order with it). Zero after a restart is
	// right: the generator then issues ids above every _seq committed
	// before (seqLease).
	newest int64
}

// NewLocks returns the partition locks of a database: one set, shared by
// every writer.
func NewLocks() *Locks { return &Locks{seed: maphash.MakeSeed()} }

// Lock locks the partitions and returns the function that unlocks them.
func (l *Locks) Lock(parts ...Partition) (unlock func()) {
	_, unlock = l.lock(parts)
	return unlock
}

// lock is Lock, returning the stripes it holds too (in index order).
func (l *Locks) lock(parts []Partition) (held []int, unlock func()) {
	var idx []int
	seen := make(map[int]bool, len(parts))
	for _, p := range parts {
		var h maphash.Hash
		h.SetSeed(l.seed)
		h.WriteString(p.Family)
		h.WriteByte(0)
		h.WriteString(p.Owner)
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
	return idx, func() {
		for j := len(idx) - 1; j >= 0; j-- {
			l.stripes[idx[j]].Unlock()
		}
	}
}

// newest is the largest _seq committed to the held stripes' partitions.
func (l *Locks) newest(held []int) int64 {
	var n int64
	for _, i := range held {
		n = max(n, l.stripes[i].newest)
	}
	return n
}

// raise records seq as committed to the held stripes' partitions.
func (l *Locks) raise(held []int, seq int64) {
	for _, i := range held {
		l.stripes[i].newest = max(l.stripes[i].newest, seq)
	}
}
