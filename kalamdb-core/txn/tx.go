package txn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Write is a transaction's latest write of one key.
type Write struct {
	Table *tables.Table
	// Owner is the partition owner ("" for SHARED tables).
	Owner string
	Key   []byte
	Value []byte
	Seq   int64
	// Insert: commit fails with a duplicate key if the key has a live
	// version.
	Insert bool
	// ExpectSeq: unless Insert, commit fails with a write conflict unless
	// the key's committed version has this _seq (0: it had none when it
	// was read).
	ExpectSeq int64
	// Live is whether Value is a live (not deleted) version.
	Live bool
	// Generated is whether the id generator issued Key to this write's
	// statement for this write alone (a SNOWFLAKE_ID() of the primary key,
	// or the _seq of a table without one): no other write can have written
	// it except by naming it. Set only where that is certain; an Insert
	// without it marks its table (keymarks.go), one with it skips its
	// duplicate check while the table is unmarked.
	Generated bool
	// Before and After are the user column values of the version this
	// transaction replaced (nil when there was no live one) and of the
	// version it writes, for the change feed; BeforeSeq is the _seq of
	// the replaced version.
	Before, After []any
	BeforeSeq     int64

	// committed is the hot version this write replaces, as commit
	// validation read it under the partition lock (nil: none; the newest
	// version is cold or there is none), for index maintenance.
	committed []byte

	// stmt is the statement of the transaction (Tx.BeginStatement) that
	// wrote Value; prior is the version the transaction had written
	// before that statement (nil: none, that statement wrote the key
	// first). A statement's reads see prior, not its own version.
	stmt  int64
	prior *version
}

// version is one of a transaction's versions of a key.
type version struct {
	value []byte
	seq   int64
	live  bool
}

// visibleAt returns the version of w that statement stmt of its
// transaction reads, as a copy: the latest if an earlier statement wrote
// it, else the one before stmt (false: none, stmt wrote the key first).
func (w *Write) visibleAt(stmt int64) (*Write, bool) {
	if w.stmt < stmt {
		cp := *w
		return &cp, true
	}
	if w.prior == nil {
		return nil, false
	}
	cp := *w
	cp.Value, cp.Seq, cp.Live = w.prior.value, w.prior.seq, w.prior.live
	cp.prior = nil
	return &cp, true
}

// Size is about the memory a pending write holds until commit: its
// encoded key and value, and as much again for the values the change feed
// keeps.
func (w *Write) Size() int64 {
	n := 2 * int64(len(w.Key)+len(w.Value))
	if w.prior != nil {
		n += int64(len(w.prior.value))
	}
	return n
}

// Tx collects the writes of one statement or of a BEGIN ... COMMIT block
// and applies them as one write batch (see the package doc).
type Tx struct {
	m *Manager

	mu     sync.Mutex
	writes map[string]*Write // by writeID
	order  []string          // ids of writes, first-write order
	size   int64             // the sum of the writes' Size
	// identities maps the _seq of a row version read by this transaction
	// to its hot key, for tables without a primary key, whose key (the
	// _seq of the row's first version) is not in the row itself.
	identities map[int64][]byte
	// cold remembers the cold versions looked up, by writeID.
	cold map[string]coldCheck
	// stmt numbers the transaction's statements (BeginStatement). A
	// statement reads the transaction's writes as they were when it
	// began, as in PostgreSQL: the second branch of a UNION ALL, a
	// subquery run per row or the inner side of a nested loop opens its
	// scan after the statement wrote rows, and must not see them.
	stmt int64
	done bool
	// start is when the transaction began: now() of every statement in
	// it, as in PostgreSQL.
	start time.Time
	// wakes is what the commit's publication asks of Commit once the
	// partitions are unlocked (a field, not a local: the sink's interface
	// call would move a local to the heap on every commit).
	// Its committer is set by SetCommitter.
	wakes Wakes
}

// SetCommitter names the user whose statement commits tx: only that
// user's own connections may have a change's send run on the committing
// goroutine (Wakes.Defer). Unset, every send goes to a goroutine.
func (tx *Tx) SetCommitter(userID string) { tx.wakes.committer = userID }

// coldCheck is a cold lookup and the epoch of the table's cold files it
// was made at.
type coldCheck struct {
	epoch uint64
	v     ColdVersion
}

func writeID(family string, key []byte) string {
	return family + "\x00" + string(key)
}

// Start is when the transaction began (UTC, microseconds).
func (tx *Tx) Start() time.Time { return tx.start }

// BeginStatement starts the transaction's next statement: from now on,
// reads (Pending, PendingRange) see every write made so far, and none
// made later until the next BeginStatement.
func (tx *Tx) BeginStatement() {
	tx.mu.Lock()
	tx.stmt++
	tx.mu.Unlock()
}

// Put records a write, merging with an earlier write of the same key: the
// first write's expectations stay (they describe the committed state the
// transaction started from; later writes read the transaction's own
// version), the value is the latest.
func (tx *Tx) Put(w *Write) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return apierror.New(apierror.SQLExecutionError, "transaction is already finished")
	}
	id := writeID(w.Table.Family, w.Key)
	if prev, ok := tx.writes[id]; ok {
		// The change a subscriber sees goes from the committed version to
		// the last one written.
		tx.size -= prev.Size()
		if prev.stmt != tx.stmt {
			// The first rewrite by this statement: its reads keep seeing
			// the earlier statements' version.
			prev.prior = &version{value: prev.Value, seq: prev.Seq, live: prev.Live}
			prev.stmt = tx.stmt
		}
		prev.Value, prev.Seq, prev.Live, prev.After = w.Value, w.Seq, w.Live, w.After
		tx.size += prev.Size()
		return nil
	}
	w.stmt, w.prior = tx.stmt, nil
	if tx.writes == nil {
		tx.writes = make(map[string]*Write)
	}
	tx.writes[id] = w
	tx.order = append(tx.order, id)
	tx.size += w.Size()
	return nil
}

// Size is about the memory the transaction's pending writes hold.
func (tx *Tx) Size() int64 {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.size
}

// Pending returns the transaction's own version of a key of t as the
// current statement reads it (a copy), if it has one: the statement's own
// writes are not seen (see BeginStatement).
func (tx *Tx) Pending(t *tables.Table, key []byte) (*Write, bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if len(tx.writes) == 0 {
		// A read's own transaction (every autocommit SELECT): no key to
		// build for the lookup, an allocation of every point read.
		return nil, false
	}
	w, ok := tx.writes[writeID(t.Family, key)]
	if !ok {
		return nil, false
	}
	return w.visibleAt(tx.stmt)
}

// PendingRange returns the transaction's versions of keys of t in
// [start, end) (end nil: to the end) as the current statement reads them,
// sorted by key. They are copies, and the statement's own writes are not
// among them, so an UPDATE never revisits rows it wrote and a scan opened
// late in a statement reads what an early one did.
func (tx *Tx) PendingRange(t *tables.Table, start, end []byte) []*Write {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	var out []*Write
	for _, w := range tx.writes {
		if w.Table.CF != t.CF || bytes.Compare(w.Key, start) < 0 || (end != nil && bytes.Compare(w.Key, end) >= 0) {
			continue
		}
		if cp, ok := w.visibleAt(tx.stmt); ok {
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

// RememberIdentity records the hot key of a row version read from a table
// without a primary key.
func (tx *Tx) RememberIdentity(seq int64, key []byte) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.identities == nil {
		tx.identities = make(map[int64][]byte)
	}
	tx.identities[seq] = append([]byte(nil), key...)
}

// Identity returns the hot key of a row version RememberIdentity saw.
func (tx *Tx) Identity(seq int64) ([]byte, bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	k, ok := tx.identities[seq]
	return k, ok
}

// Exists reports whether key (in owner's partition of t) has a live
// version as the transaction sees it: its own write, else the committed
// hot version, else the newest cold one. The cold answer is remembered for
// Commit.
func (tx *Tx) Exists(ctx context.Context, t *tables.Table, owner string, key []byte) (bool, error) {
	live, err := tx.ExistsMany(ctx, t, owner, [][]byte{key})
	if err != nil {
		return false, err
	}
	return live[0], nil
}

// ExistsMany is Exists of many keys of owner's partition of t, with one
// batched read of their hot versions and one read of the partition's cold
// files for the keys without one: a multi-row INSERT checks all its keys
// at once.
func (tx *Tx) ExistsMany(ctx context.Context, t *tables.Table, owner string, keys [][]byte) ([]bool, error) {
	return tx.existsMany(ctx, t, owner, keys, false)
}

// existsMany is ExistsMany, answered from the transaction's own writes
// alone when ownOnly.
func (tx *Tx) existsMany(ctx context.Context, t *tables.Table, owner string, keys [][]byte, ownOnly bool) ([]bool, error) {
	live := make([]bool, len(keys))
	// Keys the transaction has not written, and where they are in keys.
	var read [][]byte
	var at []int
	tx.mu.Lock()
	for i, k := range keys {
		if w, ok := tx.writes[writeID(t.Family, k)]; ok {
			live[i] = w.Live
			continue
		}
		if !ownOnly {
			read, at = append(read, k), append(at, i)
		}
	}
	tx.mu.Unlock()
	if len(read) == 0 {
		return live, nil
	}
	hot, err := t.CF.MultiGet(read)
	if err != nil {
		return nil, tables.Error(t.Table, err)
	}
	var cold [][]byte
	var coldAt []int
	for j, v := range hot {
		if v == nil {
			if !t.IsStream() {
				cold, coldAt = append(cold, read[j]), append(coldAt, at[j])
			}
			continue
		}
		h, err := row.DecodeHeader(v)
		if err != nil {
			return nil, tables.Error(t.Table, err)
		}
		live[at[j]] = !h.Deleted
	}
	if len(cold) == 0 {
		return live, nil
	}
	cvs, err := tx.coldVersions(ctx, t, owner, cold)
	if err != nil {
		return nil, err
	}
	for j, cv := range cvs {
		live[coldAt[j]] = cv.Found && !cv.Deleted
	}
	return live, nil
}

// InsertsLive is ExistsMany for the keys a statement inside a transaction
// inserts: whether each has a live version the insert would duplicate.
// Generated keys (generated) of a clean table are checked against the
// transaction's own writes alone: no committed version can hold a key the
// generator has just issued while nobody has written a key it did not
// issue (keymarks.go), and a key written without it that commits before
// this transaction marks the table, so the commit checks these keys
// under the partition locks (mustCheck).
func (tx *Tx) InsertsLive(ctx context.Context, t *tables.Table, owner string, keys [][]byte, generated bool) ([]bool, error) {
	if generated && !t.IsStream() {
		clean, err := tx.m.marks.clean(t.Table)
		if err != nil {
			return nil, err
		}
		if clean {
			return tx.existsMany(ctx, t, owner, keys, true)
		}
	}
	return tx.existsMany(ctx, t, owner, keys, false)
}

// PrepareInserts looks up the newest cold versions of keys of owner's
// partition of t that a statement inserts, for the commit to reuse: a
// statement that is its own transaction leaves the duplicate check to the
// commit (its batched read under the partition locks is the one that
// counts), which then needs no cold read while it holds the locks.
// Generated keys (Write.Generated) of a clean table are not looked up:
// the commit will not check them unless the table is marked by then, and
// then it looks them up itself.
func (tx *Tx) PrepareInserts(ctx context.Context, t *tables.Table, owner string, keys [][]byte, generated bool) error {
	if t.IsStream() {
		return nil
	}
	if generated {
		clean, err := tx.m.marks.clean(t.Table)
		if err != nil || clean {
			return err
		}
	}
	_, err := tx.coldVersions(ctx, t, owner, keys)
	return err
}

// coldVersions is the newest cold version of each key of owner's
// partition of t: the one this transaction looked up before, unless the
// table's cold files changed since, else a lookup (one for all the keys).
func (tx *Tx) coldVersions(ctx context.Context, t *tables.Table, owner string, keys [][]byte) ([]ColdVersion, error) {
	out := make([]ColdVersion, len(keys))
	if tx.m.cold == nil {
		return out, nil
	}
	// The epoch is read before the manifest: a change of the files after
	// this point moves it, and the answer is not reused.
	epoch := tx.m.cold.Epoch(t.Meta.TableID)
	var locals [][]byte
	var at []int
	tx.mu.Lock()
	for i, k := range keys {
		if c, ok := tx.cold[writeID(t.Family, k)]; ok && c.epoch == epoch {
			out[i] = c.v
			continue
		}
		locals, at = append(locals, t.LocalKey(owner, k)), append(at, i)
	}
	tx.mu.Unlock()
	if len(locals) == 0 {
		return out, nil
	}
	vs, err := tx.m.cold.NewestVersions(ctx, t.Table, owner, locals)
	if err != nil {
		return nil, err
	}
	tx.mu.Lock()
	if tx.cold == nil {
		tx.cold = make(map[string]coldCheck, len(at))
	}
	for j, i := range at {
		out[i] = vs[j]
		tx.cold[writeID(t.Family, keys[i])] = coldCheck{epoch: epoch, v: vs[j]}
	}
	tx.mu.Unlock()
	return out, nil
}

// Rollback discards every write.
func (tx *Tx) Rollback() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.done = true
	tx.writes, tx.order, tx.identities, tx.cold, tx.size = nil, nil, nil, nil, 0
}

// Commit validates and applies the writes atomically and returns how many
// rows were written. A transaction whose context has ended (its statement
// timed out or its client went away) writes nothing: the context is
// checked before the commit and while it validates, up to the write of
// the batch, which is atomic.
func (tx *Tx) Commit(ctx context.Context) (int64, error) {
	if ctx.Err() != nil {
		tx.Rollback()
		return 0, fmt.Errorf("commit: %w", context.Cause(ctx))
	}
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return 0, apierror.New(apierror.SQLExecutionError, "transaction is already finished")
	}
	tx.done = true
	writes := make([]*Write, len(tx.order))
	parts := make([]Partition, len(tx.order))
	for i, id := range tx.order {
		w := tx.writes[id]
		writes[i], parts[i] = w, Partition{Family: w.Table.Family, Owner: w.Owner}
	}
	tx.mu.Unlock()
	if len(writes) == 0 {
		return 0, nil
	}
	// Once the locks are released (commitLocked's own defer), a
	// subscriber's sender runs (Wakes); deferred, so that a send one sink
	// took is run even when a later one panics: it holds its connection's
	// writer slot until it runs.
	defer tx.wakes.run()
	if err := tx.commitLocked(ctx, writes, parts, &tx.wakes); err != nil {
		return 0, err
	}
	return int64(len(writes)), nil
}

// commitLocked validates and writes the batch, and publishes its changes,
// with the written partitions locked; what publishing asks of the
// committer once they are released is left in wakes (Sink).
func (tx *Tx) commitLocked(ctx context.Context, writes []*Write, parts []Partition, wakes *Wakes) error {
	held, unlock := tx.m.locks.lock(parts)
	defer unlock()
	if err := tx.validateAll(ctx, writes); err != nil {
		return err
	}
	if err := tx.m.inCommitOrder(writes, tx.m.locks.newest(held)); err != nil {
		return err
	}
	var b kv.Batch
	marked := tx.m.markExplicit(&b, writes)
	maxSeq, err := tx.m.batch(&b, writes)
	if err != nil {
		return err
	}
	leaseDone := tx.m.lease.cover(&b, maxSeq)
	if tx.m.fail != nil {
		tx.m.fail(FailpointBeforeWrite)
	}
	err = tx.m.db.Write(&b)
	leaseDone(err == nil)
	if err != nil {
		if errors.Is(err, kv.ErrDropped) {
			return apierror.New(apierror.TableNotFound, "a table written by this statement was dropped meanwhile")
		}
		return fmt.Errorf("commit: %w", err)
	}
	written(marked)
	tx.m.locks.raise(held, maxSeq)
	// Published while the partitions are still locked, so a subscriber
	// registered under the same locks sees each commit exactly once: in
	// its snapshot or in its feed.
	tx.m.publish(writes, wakes)
	return nil
}

// inCommitOrder keeps a partition's _seq in its commit order: when a
// write's _seq is not above newest, the newest _seq committed to the
// partitions the commit holds, every write gets a new one, in the order
// the transaction wrote them. A _seq is issued when a statement writes
// its row, so without this a transaction (or a statement that lost the
// race for the lock) would commit versions older than one a subscriber
// already has, and a client resuming from the newest _seq it saw
// (from_seq_id) would never get them. The partition locks are held, so
// the new ones are above every _seq committed there, and every later
// commit's are above them. Nearly every autocommit statement is above
// newest already and keeps its _seq: RETURNING _seq showed it.
//
// The writes' _seq must also grow in their order, which is the order
// their changes are published in, one message each: a transaction that
// wrote a key again after other keys keeps that key's first place with
// its last, greater _seq, and a client that saw that change alone would
// resume past the ones after it. Such a commit takes new _seq too.
func (m *Manager) inCommitOrder(writes []*Write, newest int64) error {
	late := false
	for _, w := range writes {
		if w.Seq <= newest {
			late = true
			break
		}
		newest = w.Seq
	}
	if !late {
		return nil
	}
	for _, w := range writes {
		w.Seq = m.seq.Next()
		if err := row.SetSeq(w.Value, w.Seq); err != nil {
			return fmt.Errorf("commit: %s: %w", w.Table.Meta.TableID, err)
		}
	}
	return nil
}

// validateAll checks each write's expectation against the committed
// version of its key: the hot one, or when there is none the newest cold
// one (a flush may have moved it; manifests change only under the
// partition lock the commit holds). The hot versions of each family are
// read with one batched read, the cold ones of each partition with one
// lookup.
func (tx *Tx) validateAll(ctx context.Context, writes []*Write) error {
	if ctx.Err() != nil {
		return fmt.Errorf("commit: %w", context.Cause(ctx))
	}
	writes, err := tx.m.mustCheck(writes)
	if err != nil {
		return err
	}
	if len(writes) == 0 {
		return nil
	}
	cur := make([][]byte, len(writes))
	for _, g := range groupBy(len(writes), func(i int) *kv.ColumnFamily { return writes[i].Table.CF }) {
		keys := make([][]byte, len(g))
		for j, i := range g {
			keys[j] = writes[i].Key
		}
		t := writes[g[0]].Table
		vals, err := t.CF.MultiGet(keys)
		switch {
		case errors.Is(err, kv.ErrDropped):
			return apierror.New(apierror.TableNotFound, "table %s.%s was dropped meanwhile", t.Meta.NamespaceID, t.Meta.TableName)
		case err != nil:
			return fmt.Errorf("commit: read %s: %w", t.Meta.TableID, err)
		}
		for j, i := range g {
			cur[i] = vals[j]
		}
	}
	// The newest cold version of each write without a hot one, looked up
	// per partition.
	var coldOf []ColdVersion
	var needCold []int
	for i, w := range writes {
		if cur[i] == nil && !w.Table.IsStream() {
			needCold = append(needCold, i)
		}
	}
	if len(needCold) > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("commit: %w", context.Cause(ctx))
		}
		coldOf = make([]ColdVersion, len(writes))
		sub := make([]*Write, len(needCold))
		for j, i := range needCold {
			sub[j] = writes[i]
		}
		for _, g := range groupBy(len(sub), func(i int) familyOwner { return familyOwner{sub[i].Table.CF, sub[i].Owner} }) {
			t, owner := sub[g[0]].Table, sub[g[0]].Owner
			keys := make([][]byte, len(g))
			for j, k := range g {
				keys[j] = sub[k].Key
			}
			cvs, err := tx.coldVersions(ctx, t, owner, keys)
			if err != nil {
				return fmt.Errorf("commit: %s: %w", t.Meta.TableID, err)
			}
			for j, k := range g {
				coldOf[needCold[k]] = cvs[j]
			}
		}
	}
	for i, w := range writes {
		var cv ColdVersion
		if coldOf != nil {
			cv = coldOf[i]
		}
		if err := validate(w, cur[i], cv); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("commit: %w", context.Cause(ctx))
	}
	return nil
}

// familyOwner names a partition of a table: its family and owner.
type familyOwner struct {
	cf    *kv.ColumnFamily
	owner string
}

// groupBy groups 0..n-1 by key(i): groups and their members in first-seen
// order.
func groupBy[K comparable](n int, key func(i int) K) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var groups [][]int
	pos := make(map[K]int, 1)
	for i := 0; i < n; i++ {
		k := key(i)
		g, ok := pos[k]
		if !ok {
			g = len(groups)
			pos[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// validate checks one write's expectation against its key's committed
// version: cur, its hot version (nil: none), else cv, its newest cold one.
func validate(w *Write, cur []byte, cv ColdVersion) error {
	t := w.Table
	var curSeq int64
	var curLive bool
	if cur != nil {
		h, err := row.DecodeHeader(cur)
		if err != nil {
			return fmt.Errorf("commit: %s: %w", t.Meta.TableID, err)
		}
		curSeq, curLive = h.Seq, !h.Deleted
		w.committed = cur
	} else if cv.Found {
		curSeq, curLive = cv.Seq, !cv.Deleted
	}
	if w.Insert {
		if curLive {
			if t.PK >= 0 && t.PK < len(w.After) {
				return apierror.New(apierror.InvalidInput, "duplicate primary key %s = %v in %s.%s",
					t.Schema.Columns[t.PK].Name, w.After[t.PK], t.Meta.NamespaceID, t.Meta.TableName)
			}
			return DuplicateKeyError(t.Table)
		}
		return nil
	}
	if curSeq != w.ExpectSeq {
		return apierror.New(apierror.SQLExecutionError, "write conflict on %s.%s: the row was changed by another statement meanwhile; retry",
			t.Meta.NamespaceID, t.Meta.TableName)
	}
	return nil
}

// DuplicateKeyError is the error of a commit that would give a second
// live version to a primary key.
func DuplicateKeyError(t *catalog.Table) error {
	return apierror.New(apierror.InvalidInput, "duplicate primary key in %s.%s", t.Meta.NamespaceID, t.Meta.TableName)
}

// counterKey is the key of the buffered-row counter of a write's
// partition.
func counterKey(w *Write) string {
	return string(keyenc.CounterKey(w.Table.Meta.NamespaceID, w.Table.Meta.TableName, w.Owner))
}
