package live

import (
	"slices"
	"sync"
)

// partKey names a partition of a table: the owner's user id for USER and
// STREAM tables, "" for SHARED tables (one partition each).
type partKey struct {
	table string // table id
	user  string
}

// index maps each partition to the subscriptions that watch it. Lookups
// (one per published change) take a read lock and get an immutable slice;
// adds and removes copy the slice, so a lookup never sees one half-built.
type index struct {
	mu    sync.RWMutex
	parts map[partKey][]*subscription
}

func newIndex() *index {
	return &index{parts: make(map[partKey][]*subscription)}
}

func (x *index) add(s *subscription) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.parts[s.key]
	subs := make([]*subscription, len(old), len(old)+1)
	copy(subs, old)
	x.parts[s.key] = append(subs, s)
}

// remove drops s; it reports whether s was present (so each subscription
// is counted out once, whoever removes it first).
func (x *index) remove(s *subscription) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.parts[s.key]
	i := slices.Index(old, s)
	if i < 0 {
		return false
	}
	if len(old) == 1 {
		delete(x.parts, s.key)
	} else {
		subs := make([]*subscription, 0, len(old)-1)
		subs = append(append(subs, old[:i]...), old[i+1:]...)
		x.parts[s.key] = subs
	}
	return true
}

// lookup returns the subscriptions of a partition. The slice must not be
// modified.
func (x *index) lookup(k partKey) []*subscription {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.parts[k]
}
