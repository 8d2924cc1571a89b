package live

import (
	"slices"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
)

// partKey names a partition of a table: the owner's user id for USER
// tables, "" for SHARED and STREAM tables (one partition each).
type partKey struct {
	table string // table id
	user  string
}

// index maps each partition to the subscriptions that watch it. Lookups
// (one per published change) take a read lock and get an immutable slice;
// adds and removes copy the slice, so a lookup never sees one half-built.
type index struct {
	mu     sync.RWMutex
	parts  map[partKey][]*subscription
	tables map[string]*tableSubs
}

// tableSubs counts a table's subscriptions, for HasSubscribers and for the
// check that ends subscriptions of dropped tables.
type tableSubs struct {
	table *catalog.Table // as of the first subscription
	n     int
}

func newIndex() *index {
	return &index{parts: make(map[partKey][]*subscription), tables: make(map[string]*tableSubs)}
}

func (x *index) add(s *subscription) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.parts[s.key]
	subs := make([]*subscription, len(old), len(old)+1)
	copy(subs, old)
	x.parts[s.key] = append(subs, s)
	ts := x.tables[s.key.table]
	if ts == nil {
		ts = &tableSubs{table: s.table}
		x.tables[s.key.table] = ts
	}
	ts.n++
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
	if ts := x.tables[s.key.table]; ts != nil {
		if ts.n--; ts.n == 0 {
			delete(x.tables, s.key.table)
		}
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

// hasTable reports whether any subscription watches the table.
func (x *index) hasTable(tableID string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.tables[tableID] != nil
}

// tablesWatched returns the tables with subscriptions.
func (x *index) tablesWatched() []*catalog.Table {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*catalog.Table, 0, len(x.tables))
	for _, ts := range x.tables {
		out = append(out, ts.table)
	}
	return out
}
