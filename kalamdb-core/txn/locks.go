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
	stripes [256]sync.Mutex
}

// NewLocks returns the partition locks of a database: one set, shared by
// every writer.
func NewLocks() *Locks { return &Locks{seed: maphash.MakeSeed()} }

// Lock locks the partitions and returns the function that unlocks them.
func (l *Locks) Lock(parts ...Partition) (unlock func()) {
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
	return func() {
		for j := len(idx) - 1; j >= 0; j-- {
			l.stripes[idx[j]].Unlock()
		}
	}
}
