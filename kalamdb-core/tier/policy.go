package tier

import (
	"context"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// FlushPolicy is the server's default flush policy, used by tables
// without their own FLUSH_POLICY (zero fields: that trigger is off).
type FlushPolicy struct {
	Rows     int64
	Interval time.Duration
}

// flushPolicyOf returns a table's effective policy.
func (m *Manager) flushPolicyOf(t *catalog.Table) FlushPolicy {
	if t.Meta.FlushRows > 0 || t.Meta.FlushIntervalSeconds > 0 {
		return FlushPolicy{Rows: t.Meta.FlushRows, Interval: t.Meta.FlushInterval()}
	}
	return m.opts.DefaultFlush
}

// RunFlushPolicies checks every table's flush policy once and starts the
// flushes that are due: a USER table's partitions whose buffered rows
// reached rows:N (one job for all of them), and any table with buffered
// rows whose interval elapsed since its last policy flush.
func (m *Manager) RunFlushPolicies(now time.Time) error {
	counters, err := m.db.ColumnFamily(txn.CountersFamily)
	if err != nil {
		return err
	}
	for _, t := range m.cat.Snapshot().Tables("") {
		if t.Meta.TableType == dialect.TableTypeStream {
			continue
		}
		pol := m.flushPolicyOf(t)
		if pol.Rows <= 0 && pol.Interval <= 0 || m.held(jobs.TypeFlush, t.Meta.TableID) {
			continue
		}
		var due []string
		pending := false
		prefix := keyenc.CounterPrefix(t.Meta.NamespaceID, t.Meta.TableName)
		it, err := counters.NewIter(kv.PrefixOptions(prefix))
		if err != nil {
			return err
		}
		st, hasStorage := m.cat.Snapshot().Storage(t.Meta.StorageID)
		for ok := it.First(); ok; ok = it.Next() {
			n, okN := kv.DecodeCounter(it.Value())
			if !okN || n <= 0 {
				continue
			}
			if hasStorage && m.keepsSystemPartition(t, st, string(it.Key()[len(prefix):])) {
				// A flush would keep it hot: its rows make no flush due,
				// or one would be started (and warned about) at every
				// check.
				continue
			}
			pending = true
			if pol.Rows > 0 && n >= pol.Rows {
				due = append(due, string(it.Key()[len(prefix):]))
			}
		}
		if err := it.Close(); err != nil {
			return err
		}
		last := m.lastPolicyFlush(t.Meta.TableID, now)
		intervalDue := pol.Interval > 0 && pending && now.Sub(last) >= pol.Interval
		switch {
		case intervalDue:
			if _, err := m.submitFlush(t, nil); err != nil {
				return err
			}
			m.setLastPolicyFlush(t.Meta.TableID, now)
		case len(due) > 0 && t.Meta.TableType == dialect.TableTypeUser:
			if _, err := m.submitFlush(t, due); err != nil {
				return err
			}
		case len(due) > 0:
			if _, err := m.submitFlush(t, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastPolicyFlush is when a table was last flushed by its interval, the
// tiers' start if never.
func (m *Manager) lastPolicyFlush(tableID string, now time.Time) time.Time {
	m.policyMu.Lock()
	defer m.policyMu.Unlock()
	if m.lastFlush == nil {
		m.lastFlush = map[string]time.Time{}
	}
	t, ok := m.lastFlush[tableID]
	if !ok {
		m.lastFlush[tableID] = now
		return now
	}
	return t
}

func (m *Manager) setLastPolicyFlush(tableID string, now time.Time) {
	m.policyMu.Lock()
	defer m.policyMu.Unlock()
	m.lastFlush[tableID] = now
}

// hold holds (or releases) the flushes or compactions (typ) the server
// starts by itself for a table (Manager.holds); other job types are not
// held.
func (m *Manager) hold(typ, tableID string, hold bool) {
	if typ != jobs.TypeFlush && typ != jobs.TypeCompact {
		return
	}
	m.policyMu.Lock()
	defer m.policyMu.Unlock()
	if !hold {
		delete(m.holds, [2]string{typ, tableID})
		return
	}
	if m.holds == nil {
		m.holds = map[[2]string]bool{}
	}
	m.holds[[2]string{typ, tableID}] = true
}

func (m *Manager) held(typ, tableID string) bool {
	m.policyMu.Lock()
	defer m.policyMu.Unlock()
	return m.holds[[2]string{typ, tableID}]
}

// holdGivenUp holds the flushes and compactions of the tables whose
// latest one of the type an earlier start gave up, and that none asked
// for by hand followed. A table created since under the name (the jobs
// are older than it) is not held.
func (m *Manager) holdGivenUp() error {
	snap := m.cat.Snapshot()
	for _, typ := range []string{jobs.TypeFlush, jobs.TypeCompact} {
		given, err := m.jobs.GivenUp(typ)
		if err != nil {
			return err
		}
		for _, j := range given {
			if tableID, ok := heldTable(snap, j); ok {
				m.hold(typ, tableID, true)
			}
		}
	}
	return nil
}

// heldTable returns the table a given-up flush or compaction j holds:
// its table, if it still exists and was created no later than j (a
// table created since under the name is another table).
func heldTable(snap *catalog.Snapshot, j *systable.Job) (tableID string, ok bool) {
	t, ok := snap.Table(j.NamespaceID, j.TableName)
	if !ok || j.CreatedAt.Before(t.Meta.CreatedAt) {
		return "", false
	}
	return t.Meta.TableID, true
}

// HoldsTable is history pruning's check of a table's latest given-up
// flush or compaction (jobs.Options.HoldsTable): whether a start would
// hold its table by it (holdGivenUp). A dropped table's, or one a table
// created again under the name outdates, holds nothing, and is pruned
// with the rest of the history.
func HoldsTable(cat *catalog.Catalog) func(*systable.Job) bool {
	return func(j *systable.Job) bool {
		_, ok := heldTable(cat.Snapshot(), j)
		return ok
	}
}

// historyPruneEvery is how often ended jobs past their retention are
// deleted from system.jobs.
const historyPruneEvery = 10 * time.Minute

// RunPolicyLoop checks flush policies every period, and prunes job history
// every ten minutes, until ctx ends.
func (m *Manager) RunPolicyLoop(ctx context.Context, period time.Duration, pruneHistory func() (int, error)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			_ = m.RunFlushPolicies(now) // a failed check is retried on the next tick
			if pruneHistory != nil && now.Sub(lastPrune) >= historyPruneEvery {
				lastPrune = now
				_, _ = pruneHistory()
			}
		}
	}
}
