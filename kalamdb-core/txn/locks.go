package txn

import (
	"hash/maphash"
	"math"
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
	// newest holds, of the stripe's partitions written most recently (at
	// most stripeNewest), the largest _seq committed to each since the
	// process started; floor is at least that of every other one (those
	// pushed out, and those never written: none). Tx.Commit keeps a
	// partition's _seq in commit order with them. Per partition, not per
	// stripe: a commit of another user's partition that shares the stripe
	// must not give this one's versions new _seq (their RETURNING _seq
	// would not be the one stored). Zero after a restart is right: the
	// generator then issues ids above every _seq committed before
	// (seqLease).
	newest map[Partition]int64
	floor  int64
}

// stripeNewest bounds the partitions a stripe remembers apart: 256
// stripes of 32 keep the recent writers of 8192 partitions, a few hundred
// kilobytes; a partition pushed out shares the floor, which only makes
// its late-commit check more conservative.
const stripeNewest = 32

// heldPart is a partition a locker holds and the index of its stripe.
type heldPart struct {
	p      Partition
	stripe int
}

// NewLocks returns the partition locks of a database: one set, shared by
// every writer.
func NewLocks() *Locks { return &Locks{seed: maphash.MakeSeed()} }

// Lock locks the partitions and returns the function that unlocks them.
func (l *Locks) Lock(parts ...Partition) (unlock func()) {
	_, unlock = l.lock(parts)
	return unlock
}

// lock is Lock, returning the distinct partitions it holds too, each
// with its stripe.
func (l *Locks) lock(parts []Partition) (held []heldPart, unlock func()) {
	var idx []int
	seen := make(map[int]bool, len(parts))
	seenPart := make(map[Partition]bool, 1)
	for i, p := range parts {
		if (i > 0 && p == parts[i-1]) || seenPart[p] {
			continue
		}
		seenPart[p] = true
		var h maphash.Hash
		h.SetSeed(l.seed)
		h.WriteString(p.Family)
		h.WriteByte(0)
		h.WriteString(p.Owner)
		si := int(h.Sum64() % uint64(len(l.stripes)))
		held = append(held, heldPart{p: p, stripe: si})
		if !seen[si] {
			seen[si] = true
			idx = append(idx, si)
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return held, func() {
		for j := len(idx) - 1; j >= 0; j-- {
			l.stripes[idx[j]].Unlock()
		}
	}
}

// newest is the largest _seq committed to the held partitions (at
// least: a partition its stripe no longer remembers apart answers the
// stripe's floor).
func (l *Locks) newest(held []heldPart) int64 {
	var n int64
	for _, h := range held {
		n = max(n, l.stripes[h.stripe].bound(h.p))
	}
	return n
}

// raise records seq as committed to the held partitions.
func (l *Locks) raise(held []heldPart, seq int64) {
	for _, h := range held {
		l.stripes[h.stripe].raise(h.p, seq)
	}
}

// bound is the newest _seq committed to p, or a greater one. s is held.
func (s *stripe) bound(p Partition) int64 {
	if n, ok := s.newest[p]; ok {
		return n
	}
	return s.floor
}

// raise records seq as committed to p, pushing out the partition written
// longest ago (its newest _seq is the smallest) when the stripe remembers
// as many as it may. s is held.
func (s *stripe) raise(p Partition, seq int64) {
	n := max(s.bound(p), seq)
	if _, ok := s.newest[p]; !ok {
		if s.newest == nil {
			s.newest = make(map[Partition]int64, stripeNewest)
		}
		if len(s.newest) >= stripeNewest {
			var oldest Partition
			least := int64(math.MaxInt64)
			for q, m := range s.newest {
				if m < least {
					oldest, least = q, m
				}
			}
			delete(s.newest, oldest)
			s.floor = max(s.floor, least)
		}
	}
	s.newest[p] = n
}
