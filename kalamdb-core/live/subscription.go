package live

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// subscription is one live query of one connection.
type subscription struct {
	conn   *Conn
	id     string // the client's id
	liveID string // connection id + "-" + id
	key    partKey
	table  *catalog.Table // as compiled at subscribe time; nil for a system table
	// sys is set for a live query on a system table (system.go).
	sys     *systemState
	sql     string
	opts    SubscriptionOptions
	created time.Time

	// held is what the subscription keeps for its life (its text and its
	// compiled query), reserved from the user's share of the server's
	// memory from subscribe to removal.
	held memory.Charge

	changes    atomic.Int64
	lastUpdate atomic.Int64 // unix µs of the last change sent; 0 none
	// removed is set once, by whoever ends the subscription first.
	removed atomic.Bool

	// Loading state, under loadMu: the goroutine serving the client's
	// requests reads batches; removal closes the snapshot.
	loadMu    sync.Mutex
	loader    *engine.Filter
	snap      *tier.FeedSnapshot // nil once the initial data is complete
	cursor    int64              // _seq of the last row sent as initial data
	batchNum  int
	batchSize int
	// idleSince is when the subscription started waiting, with initial
	// data left, for the client's next_batch (unix ns of Options.Now; 0:
	// not waiting), for Manager.endIdleLoading. Set under loadMu, read
	// by the check.
	idleSince atomic.Int64
	// loadingSince is when the subscription took its snapshot (unix ns of
	// Options.Now; 0: not yet), for Manager.endIdleLoading's bound on
	// loading in all.
	loadingSince atomic.Int64
	shape        *rowShape // of the initial-data rows

	// Sender state: only the goroutine calling Conn.Next touches these.
	ready   bool
	pending []*txn.Change
	view    *view
	// pendingBytes is the size of pending, counted in the connection's
	// pendingBytes; removal gives it back from any goroutine.
	pendingBytes atomic.Int64
}

func newSubscription(c *Conn, id, sqlText string, o SubscriptionOptions, f *engine.Filter) (*subscription, error) {
	v, err := newView(f)
	if err != nil {
		return nil, err
	}
	owner := c.userID
	if !f.Table.PerUser() {
		owner = ""
	}
	m := c.m
	bs := o.BatchSize
	if bs == 0 {
		bs = m.opts.DefaultBatchSize
	}
	return &subscription{
		conn: c, id: id, liveID: c.id + "-" + id,
		key:   partKey{table: f.Table.Meta.TableID, user: owner},
		table: f.Table, sql: sqlText, opts: o, created: c.now(),
		loader: f, batchSize: min(bs, m.opts.MaxBatchSize), shape: v.shape,
		view: v,
	}, nil
}

// open registers the subscription for changes, reads the first batch of
// initial data at the registration snapshot and queues the ack and that
// batch. s.loadMu is held.
func (s *subscription) open(ctx context.Context) error {
	c, m := s.conn, s.conn.m
	snap, err := m.feeds.OpenPartitionFeed(s.table, c.userID, func() { m.router.idx.add(s) })
	if err != nil {
		return wireError(err)
	}
	s.snap = snap
	s.loadingSince.Store(c.now().UnixNano())
	o := s.opts
	if err := s.checkRestoredResume(ctx); err != nil {
		return err
	}
	s.cursor = o.FromSeqID
	if o.FromSeqID == 0 && o.LastRows > 0 {
		if s.cursor, err = s.lastRowsBound(ctx, o.LastRows); err != nil {
			return err
		}
	}
	from := s.cursor
	mem := c.newLoadCharge()
	defer mem.Release()
	rows, size, more, err := s.fetch(ctx, mem)
	if err != nil {
		return err
	}
	total := int64(len(rows))
	if more {
		if total, err = s.count(ctx, from); err != nil {
			return err
		}
	}
	if err := m.queries.add(s); err != nil {
		return err
	}
	c.push(item{sub: s, msg: &SubscriptionAck{Type: "subscription_ack", SubscriptionID: s.id, TotalRows: total,
		BatchControl: BatchControl{BatchNum: 0, HasMore: true, Status: StatusLoading, LastSeqID: from},
		Schema:       s.view.schema}}, nil)
	after, afterSize, err := s.resumeDeletes(ctx, more, mem)
	if err != nil {
		return err
	}
	s.queueBatch(rows, size+afterSize, more, mem, after)
	return nil
}

// checkRestoredResume refuses a resume (from_seq_id) of a table RESTORE
// made from a _seq that is not of the backup's history of the
// subscriber's partition. Its versions keep the backup's _seq, and a
// resume only sends what was written after from_seq_id, so a client whose
// from_seq_id came from commits made after the backup was taken (to the
// table the backup was taken of, or to another of its name since) would
// keep, for ever, rows the restored table does not have, and miss rows
// of the backup older than its from_seq_id. Within a partition _seq
// follows commit order, so those commits are all above the partition's
// horizon, the newest _seq the restore wrote into it
// (txn.RestoreHorizon), and every from_seq_id at or below it is of the
// backup's history (a client that stopped before the backup, or that
// subscribed to the restored table): the partition's history up to it is
// the one the client followed, however the partition changed since the
// restore, so it resumes as usual. A from_seq_id at or above RestoredSeq
// was issued after the restore. Without a horizon (the backup held no
// version of the partition, or a build that recorded none restored the
// table), the partition's versions below RestoredSeq are the backup's
// that no later write replaced: a from_seq_id is accepted when one is
// at or above it, which for a partition the backup lacks is never.
// s.loadMu is held, and s.snap is open.
func (s *subscription) checkRestoredResume(ctx context.Context) error {
	from, restored := s.opts.FromSeqID, s.table.Meta.RestoredSeq
	if from == 0 || restored == 0 || from >= restored {
		return nil
	}
	horizon, ok, err := txn.RestoreHorizon(s.conn.m.db, s.table.Meta.NamespaceID, s.table.Meta.TableName, s.key.user, restored)
	if err != nil {
		return err
	}
	if ok {
		if from <= horizon {
			return nil
		}
		return s.notRestoredHistory()
	}
	cond := "_seq >= $1 AND _seq < $2"
	if s.table.Meta.TableType != dialect.TableTypeStream {
		// Deleted versions are history too (a STREAM table has none).
		cond += " AND (_deleted = true OR _deleted = false)"
	}
	res, err := s.queryWhere(ctx, quoteIdent(schema.SeqColumn), cond, " LIMIT 1", 2, nil, from, restored)
	if err != nil {
		return err
	}
	if len(res.Rows) > 0 {
		return nil
	}
	return s.notRestoredHistory()
}

func (s *subscription) notRestoredHistory() error {
	return apierror.New(apierror.SubscriptionFailed,
		"from_seq_id %d is not of the history %s.%s was restored from a backup with (RESTORE DATABASE); subscribe again without from_seq_id",
		s.opts.FromSeqID, s.table.Meta.NamespaceID, s.table.Meta.TableName)
}

// sendBatch reads and queues the next batch. s.loadMu is held.
func (s *subscription) sendBatch(ctx context.Context) error {
	if s.sys != nil {
		s.queueSystemBatch()
		return nil
	}
	mem := s.conn.newLoadCharge()
	defer mem.Release()
	rows, size, more, err := s.fetch(ctx, mem)
	if err != nil {
		if e, ok := apierror.As(err); ok && e.Code != apierror.InternalError {
			return apierror.Wrap(apierror.BatchFetchFailed, err, e.Message)
		}
		return apierror.Wrap(apierror.BatchFetchFailed, err, "the next batch could not be read")
	}
	after, afterSize, err := s.resumeDeletes(ctx, more, mem)
	if err != nil {
		return apierror.Wrap(apierror.BatchFetchFailed, err, "the rows deleted or changed since from_seq_id could not be read")
	}
	s.queueBatch(rows, size+afterSize, more, mem, after)
	return nil
}

// queueBatch queues one initial-data batch of about size bytes; after the
// last one the snapshot is released. mem, when set, holds the batch's size
// reserved already (fetch), and the queue entry takes it over.
func (s *subscription) queueBatch(rows []Row, size int64, more bool, mem *memory.Charge, after Message) {
	status := StatusReady
	switch {
	case more && s.batchNum == 0:
		status = StatusLoading
	case more:
		status = StatusLoadingBatch
	}
	s.conn.pushFrom(item{sub: s, lastBatch: !more, after: after, size: size, msg: &InitialDataBatch{Type: "initial_data_batch", SubscriptionID: s.id,
		Rows: rows, BatchControl: BatchControl{BatchNum: s.batchNum, HasMore: more, Status: status, LastSeqID: s.cursor}}}, mem, nil)
	s.batchNum++
	if !more && s.snap != nil {
		_ = s.snap.Close()
		s.snap = nil
	}
}

// markIdle records, after a request, whether the subscription now waits
// for the client's next_batch. s.loadMu is held.
func (s *subscription) markIdle() {
	if s.loading() {
		s.idleSince.Store(s.conn.now().UnixNano())
		return
	}
	s.idleSince.Store(0)
}

// resumeDeletes is, for the last batch (more false) of a subscription
// resumed with from_seq_id, a delete change of the rows the client may
// still hold that are not in its initial data, as of the snapshot (the
// initial data's): without it a resumed client would keep them for ever.
// They are the rows whose current version is newer than from_seq_id and
// is deleted, or does not satisfy the WHERE (and a view's condition):
// false or NULL. Which of them the client holds cannot be known (a row's
// version at from_seq_id is gone), so rows that never matched are named
// too, and the client ignores those. Each comes with its current values
// (a deleted one as it was deleted) of the subscription's columns, and
// the table's primary key when the subscription does not show it (not
// on a view, which may hide it): nothing the subscriber could not read
// of its table. The conditions are complements of the initial data's at
// the same snapshot, so no row is both sent and deleted, and every later
// commit comes after as a change. nil when there are none. At most
// MaxBatchSize rows: past it the subscription fails, and the client
// subscribes again without from_seq_id. The rows are reserved in mem as
// they are read, like a batch's, and queued with the last batch, whose
// size then counts them (size). s.loadMu is held.
func (s *subscription) resumeDeletes(ctx context.Context, more bool, mem *memory.Charge) (msg Message, size int64, err error) {
	if more || s.opts.FromSeqID == 0 || s.snap == nil || s.table.Meta.TableType == dialect.TableTypeStream {
		// A STREAM table's events are never updated or deleted (nor
		// have they a _deleted column to ask for): none can have left.
		return nil, 0, nil
	}
	cols := s.loader.Columns
	shape := s.shape
	if pk := s.table.Meta.PrimaryKey; pk != "" && !s.view.onView && !slices.Contains(cols, pk) {
		cols = append(slices.Clip(cols), pk)
		shape = newRowShape(rowColumns(cols))
	}
	list := make([]string, 0, len(cols)+1)
	for _, name := range cols {
		list = append(list, quoteIdent(name))
	}
	// Each row's _seq, last, to put them in _seq order: the query has no
	// ORDER BY or LIMIT, which would make the engine hold every row to
	// sort them, and it stops at the first row past the bound.
	list = append(list, quoteIdent(schema.SeqColumn))
	// Deleted versions keep the row's values; a live WHERE cannot name
	// _deleted, so naming it here only adds them to what the scan sees.
	cond := "_seq > $1 AND _deleted = true"
	if w := s.loader.Where; w != "" {
		cond = "_seq > $1 AND (_deleted = true OR NOT COALESCE((" + w + "), false))"
	}
	limit := s.conn.m.opts.MaxBatchSize
	var kept []keptRow
	onRow := func(vals []any, n int64) error {
		if len(kept) == limit {
			return apierror.New(apierror.SubscriptionFailed,
				"more than %d rows were deleted, or changed so that they no longer match, since from_seq_id %d; subscribe again without from_seq_id",
				limit, s.opts.FromSeqID)
		}
		seq, ok := vals[len(cols)].(int64)
		if !ok {
			return fmt.Errorf("live: resumed row without _seq")
		}
		if !mem.Reserve(n) {
			return mem.Refusal()
		}
		// The row's keys are cols and _seq (rowColumns), which list
		// has in the same order: its current version's _seq, newer than
		// from_seq_id, as a live delete carries the deleting version's.
		kept = append(kept, keptRow{seq: seq, vals: vals[:len(shape.names)], size: n})
		size += n
		return nil
	}
	if _, err := s.queryWhere(ctx, strings.Join(list, ", "), cond, "", 0, onRow, s.opts.FromSeqID); err != nil {
		return nil, 0, err
	}
	if len(kept) == 0 {
		return nil, 0, nil
	}
	slices.SortFunc(kept, func(a, b keptRow) int { return cmp.Compare(a.seq, b.seq) })
	old := make([]Row, len(kept))
	for i, r := range kept {
		old[i] = Row{shape: shape, vals: r.vals}
	}
	return &ChangeMessage{Type: "change", SubscriptionID: s.id, ChangeType: string(txn.ChangeDelete), OldValues: old}, size, nil
}

// loading reports whether initial data remains to be sent. s.loadMu is
// held.
func (s *subscription) loading() bool {
	if s.sys != nil {
		return s.sys.rest != nil
	}
	return s.snap != nil
}

// tableName is the namespace and name of the table the subscription
// reads.
func (s *subscription) tableName() (ns, name string) {
	if s.sys != nil {
		return catalog.SystemNamespace, s.sys.table
	}
	return s.table.Meta.NamespaceID, s.table.Meta.TableName
}

// fetch reads the next batch after s.cursor at the snapshot, in _seq
// order, and advances the cursor: the rows with the smallest _seq, at
// most batchSize of them and at most MaxBatchBytes (at least one row).
// The query has no ORDER BY or LIMIT, which would make the engine hold
// every row up to the LIMIT, large or not, to sort them: rows stream
// through a firstRows, which never holds more than the batch and the row
// in hand. size is about the bytes of the batch's values, which mem holds
// reserved from the server's account when fetch returns: each row is
// reserved as it is kept and given back as it is pushed out, and a row
// that does not fit ends the read with the account's refusal.
func (s *subscription) fetch(ctx context.Context, mem *memory.Charge) (rows []Row, size int64, more bool, err error) {
	cols := s.loader.Columns
	list := make([]string, 0, len(cols)+1)
	seqAt := -1
	for i, name := range cols {
		list = append(list, quoteIdent(name))
		if name == schema.SeqColumn {
			seqAt = i
		}
	}
	if seqAt < 0 {
		// The cursor needs each row's _seq even when the query does not
		// show it.
		seqAt = len(list)
		list = append(list, quoteIdent(schema.SeqColumn))
	}
	first := &firstRows{max: s.batchSize, maxBytes: s.conn.m.opts.MaxBatchBytes, seqAt: seqAt, mem: mem}
	if _, err := s.query(ctx, strings.Join(list, ", "), "_seq > $1", "", 0, first.add, s.cursor); err != nil {
		return nil, 0, false, err
	}
	kept := first.sorted()
	rows = make([]Row, len(kept))
	for i, r := range kept {
		s.cursor = r.seq
		// The row's keys are the query's columns and _seq (rowColumns),
		// which list has in the same order.
		rows[i] = Row{shape: s.shape, vals: r.vals[:len(s.shape.names)]}
	}
	return rows, first.bytes, first.cut, nil
}

// firstRows keeps, of rows handed to it in any order, those with the
// smallest _seq: at most max of them and at most maxBytes in all, but at
// least one. It is a max-heap by _seq: a row that does not fit pushes out
// the largest ones, and once a row is pushed out (cut), no row from its
// _seq on is kept, since the batch must be a prefix of the rows in _seq
// order; rows after it come in a later batch.
type firstRows struct {
	max      int
	maxBytes int64
	seqAt    int
	// mem holds the kept rows' sizes reserved (nil: nothing reserved).
	mem *memory.Charge

	heap  []keptRow
	bytes int64
	// cut is set once a row was left out; horizon is the smallest _seq
	// left out.
	cut     bool
	horizon int64
}

type keptRow struct {
	seq  int64
	vals []any
	size int64
}

func (f *firstRows) add(vals []any, size int64) error {
	seq, ok := vals[f.seqAt].(int64)
	if !ok {
		return fmt.Errorf("live: initial-data row without _seq")
	}
	if f.cut && seq >= f.horizon {
		return nil
	}
	if len(f.heap) > 0 && seq > f.heap[0].seq && (len(f.heap) >= f.max || f.bytes+size > f.maxBytes) {
		// It would be the first row pushed out: it is not kept, nor
		// reserved (rows of a scan come mostly in _seq order, so this is
		// the usual way a batch fills).
		f.cutAt(seq)
		return nil
	}
	if !f.mem.Reserve(size) {
		return f.mem.Refusal()
	}
	f.push(keptRow{seq: seq, vals: vals, size: size})
	for len(f.heap) > f.max || (len(f.heap) > 1 && f.bytes > f.maxBytes) {
		out := f.pop()
		f.mem.Give(out.size)
		f.cutAt(out.seq)
	}
	return nil
}

// cutAt notes that the row at seq was left out.
func (f *firstRows) cutAt(seq int64) {
	if !f.cut || seq < f.horizon {
		f.horizon = seq
	}
	f.cut = true
}

func (f *firstRows) push(r keptRow) {
	f.bytes += r.size
	f.heap = append(f.heap, r)
	for i := len(f.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if f.heap[parent].seq >= f.heap[i].seq {
			break
		}
		f.heap[parent], f.heap[i] = f.heap[i], f.heap[parent]
		i = parent
	}
}

// pop removes the row with the largest _seq.
func (f *firstRows) pop() keptRow {
	h := f.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = keptRow{}
	h = h[:last]
	for i := 0; ; {
		big, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[l].seq > h[big].seq {
			big = l
		}
		if r < len(h) && h[r].seq > h[big].seq {
			big = r
		}
		if big == i {
			break
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
	f.heap = h
	f.bytes -= top.size
	return top
}

// sorted returns the kept rows in _seq order.
func (f *firstRows) sorted() []keptRow {
	slices.SortFunc(f.heap, func(a, b keptRow) int { return cmp.Compare(a.seq, b.seq) })
	return f.heap
}

// count is the number of rows after from at the snapshot.
func (s *subscription) count(ctx context.Context, from int64) (int64, error) {
	res, err := s.query(ctx, "COUNT(*)", "_seq > $1", "", 2, nil, from)
	if err != nil {
		return 0, err
	}
	if len(res.Rows) != 1 {
		return 0, fmt.Errorf("live: %s: count returned %d rows", s.liveID, len(res.Rows))
	}
	n, _ := res.Rows[0][0].(int64)
	return n, nil
}

// lastRowsBound is the cursor below the newest n rows: the _seq of the
// n-th newest minus one, or 0 when there are fewer.
func (s *subscription) lastRowsBound(ctx context.Context, n int) (int64, error) {
	res, err := s.query(ctx, quoteIdent(schema.SeqColumn), "",
		fmt.Sprintf(" ORDER BY _seq DESC LIMIT 1 OFFSET %d", n-1), 2, nil)
	if err != nil {
		return 0, err
	}
	if len(res.Rows) == 0 {
		return 0, nil
	}
	seq, _ := res.Rows[0][0].(int64)
	return seq - 1, nil
}

// query runs SELECT list FROM table WHERE (the subscription's condition)
// AND cond, plus tail, at the subscription's snapshot (if it has one) and
// as its user, so a USER table shows only the subscriber's partition.
func (s *subscription) query(ctx context.Context, list, cond, tail string, maxRows int, onRow func([]any, int64) error, params ...any) (*engine.QueryResult, error) {
	var where []string
	if w := s.loader.Where; w != "" {
		where = append(where, "("+w+")")
	}
	if cond != "" {
		where = append(where, cond)
	}
	return s.queryWhere(ctx, list, strings.Join(where, " AND "), tail, maxRows, onRow, params...)
}

// queryWhere is query with where as the whole condition ("": none), for a
// query that uses the subscription's condition otherwise than as a
// conjunct.
func (s *subscription) queryWhere(ctx context.Context, list, where, tail string, maxRows int, onRow func([]any, int64) error, params ...any) (*engine.QueryResult, error) {
	ns, name := s.tableName()
	text := fmt.Sprintf("SELECT %s FROM %s.%s", list, quoteIdent(ns), quoteIdent(name))
	if where != "" {
		text += " WHERE " + where
	}
	text += tail
	st, err := dialect.ParseOne(text)
	if err != nil {
		return nil, fmt.Errorf("live: initial-data query of %s: %w", s.liveID, err)
	}
	std, ok := st.(*dialect.StandardSQL)
	if !ok {
		return nil, fmt.Errorf("live: initial-data query of %s is not a SELECT", s.liveID)
	}
	c := s.conn
	req := engine.QueryRequest{UserID: c.userID, Role: c.role, Statement: std, Params: params, MaxRows: maxRows, OnRow: onRow}
	if s.snap != nil {
		req.Snapshot, req.SnapshotCatalog = s.snap.Snapshot, s.snap.Catalog
	}
	res, err := c.m.eng.Query(ctx, req)
	if err != nil {
		return nil, wireError(err)
	}
	return res, nil
}

func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// view is how the sender turns changes into rows for one subscription:
// the compiled filter, and where each shown column sits in a change's row.
type view struct {
	// cond evaluates the WHERE (the compiled filter; tests replace it).
	cond matcher
	// viewChanged says whether the view the query was made on (if any)
	// has been replaced or dropped since (engine.Filter.ViewChanged).
	viewChanged func() (string, bool)
	// onView: the query was made on a view, whose hidden columns may
	// change without any shown value changing.
	onView bool
	table  *catalog.Table
	shape  *rowShape
	// at[i] is the index of shown column i in the match row (the table's
	// columns, then _seq, then _deleted); types[i] its type.
	at     []int
	types  []dialect.DataType
	schema []Column
	// proj maps the columns of a change written under another version of
	// the table (projFrom) onto this one's: proj[i] is the index in the
	// change's values of this table's column i, or -1.
	projFrom *catalog.Table
	proj     []int
}

var (
	seqType     = dialect.DataType{Name: dialect.TypeBigInt}
	deletedType = dialect.DataType{Name: dialect.TypeBoolean}
)

// stale reports whether the view the query was made on has changed.
func (v *view) stale() (string, bool) {
	if v.viewChanged == nil {
		return "", false
	}
	return v.viewChanged()
}

func newView(f *engine.Filter) (*view, error) {
	t := f.Table
	n := len(t.Schema.Columns)
	v := &view{cond: f, viewChanged: f.ViewChanged, onView: f.OnView(), table: t, shape: newRowShape(rowColumns(f.Columns))}
	for i, name := range f.Columns {
		var at int
		var dt dialect.DataType
		switch name {
		case schema.SeqColumn:
			at, dt = n, seqType
		case schema.DeletedColumn:
			at, dt = n+1, deletedType
		default:
			if at = columnIndex(t, name); at < 0 {
				return nil, apierror.New(apierror.InvalidSQL, "column %s does not exist in %s.%s", name, t.Meta.NamespaceID, t.Meta.TableName)
			}
			dt = t.Schema.Columns[at].Type
		}
		v.at = append(v.at, at)
		v.types = append(v.types, dt)
		v.schema = append(v.schema, Column{Name: name, DataType: schema.WireName(dt), Index: i})
	}
	if len(v.shape.names) > len(f.Columns) {
		// _seq, which the query does not show: every row carries it
		// (rowColumns), but it is not a column of the result's schema.
		v.at = append(v.at, n)
		v.types = append(v.types, seqType)
	}
	return v, nil
}

// rowColumns is the keys of a subscription's rows: the query's columns,
// then _seq when the query does not show it. Every row a subscription
// sends carries its version's _seq, as KalamDB's rows do, because a
// client resumes from the largest _seq it received (from_seq_id): one
// subscribed to SELECT id would otherwise have nothing to resume from
// but the last batch's last_seq_id, and would receive again, or miss,
// the changes after it.
func rowColumns(cols []string) []string {
	if slices.Contains(cols, schema.SeqColumn) {
		return cols
	}
	return append(slices.Clip(cols), schema.SeqColumn)
}

func columnIndex(t *catalog.Table, name string) int {
	for i := range t.Schema.Columns {
		if t.Schema.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// render turns a change into this subscription's message: an update of
// a row that keeps matching, an insert of one that starts matching, a
// delete of one that stops. nil means the change does not concern the
// subscription. end, when set, ends the subscription (its table was
// dropped or may no longer be read).
func (s *subscription) render(ctx context.Context, ch *txn.Change) (msg Message, end *ErrorMessage) {
	if why, changed := s.view.stale(); changed {
		return nil, NewError(s.id, apierror.SubscriptionFailed, "the subscription ended: %s", why)
	}
	// The table as the catalog has it now, not only as the change's
	// writer saw it: a statement that began before an ALTER TABLE (one
	// that revoked the subscriber's read permission, say) commits with the
	// older version, and its change must not be read with the old
	// permission.
	if cur, ok := s.conn.m.cat.Snapshot().TableByID(s.view.table.Meta.TableID); ok && cur != s.view.table {
		if end := s.refresh(ctx, cur); end != nil {
			return nil, end
		}
	}
	if ch.Table != s.view.table {
		if end := s.refresh(ctx, ch.Table); end != nil {
			return nil, end
		}
	}
	v := s.view
	var oldRow, newRow []any
	if ch.Old != nil {
		oldRow = v.matchRow(ch.Table, ch.Old, ch.OldSeq)
	}
	if ch.New != nil {
		newRow = v.matchRow(ch.Table, ch.New, ch.NewSeq)
	}
	oldMatch, err := v.match(ctx, oldRow)
	if err != nil {
		return nil, s.stopped(err)
	}
	newMatch, err := v.match(ctx, newRow)
	if err != nil {
		return nil, s.stopped(err)
	}
	out := &ChangeMessage{Type: "change", SubscriptionID: s.id}
	switch {
	case oldMatch && newMatch:
		nr, or := v.row(newRow), v.row(oldRow)
		shown := len(v.schema) // not the _seq every row carries, which always differs
		if v.onView && slices.EqualFunc(nr.vals[:shown], or.vals[:shown], func(a, b any) bool { return reflect.DeepEqual(a, b) }) {
			// Only columns the view hides changed: the subscriber may not
			// learn even that.
			return nil, nil
		}
		out.ChangeType = string(txn.ChangeUpdate)
		out.Rows, out.OldValues = []Row{nr}, []Row{or}
	case newMatch:
		out.ChangeType = string(txn.ChangeInsert)
		out.Rows = []Row{v.row(newRow)}
	case oldMatch:
		out.ChangeType = string(txn.ChangeDelete)
		if ch.NewSeq != 0 {
			// The row's last values, but the _seq of the version that
			// took it out of the result (the DELETE's, or the UPDATE's
			// that made the WHERE false): the client resumes from it, and
			// a resume from an older _seq names the row again (as a
			// resumed subscription's delete change carries the _seq of
			// the row's current version).
			oldRow[len(v.table.Schema.Columns)] = ch.NewSeq
		}
		out.OldValues = []Row{v.row(oldRow)}
	default:
		return nil, nil
	}
	return out, nil
}

// refresh follows a change of the table's metadata: a newer version
// (ALTER TABLE) recompiles the query, so SELECT * shows added columns and
// the read permission is checked again; a table dropped and created again
// under the same name ends the subscription. A change written under an
// older version than the view's is projected instead (matchRow).
func (s *subscription) refresh(ctx context.Context, t *catalog.Table) *ErrorMessage {
	cur := s.view.table
	if !cur.SameTable(t) { // a restored table has the dropped one's creation time, not its incarnation
		return NewError(s.id, apierror.SubscriptionFailed, "table %s.%s was dropped", cur.Meta.NamespaceID, cur.Meta.TableName)
	}
	if t.Schema.Version < cur.Schema.Version || (t.Schema.Version == cur.Schema.Version && !t.Meta.UpdatedAt.After(cur.Meta.UpdatedAt)) {
		return nil
	}
	c := s.conn
	f, err := c.m.eng.CompileFilter(ctx, c.userID, c.role, "", s.sql)
	if err != nil {
		e := wireError(err)
		return NewError(s.id, e.Code, "the subscription ended: %s", e.Message)
	}
	if !cur.SameTable(f.Table) {
		return NewError(s.id, apierror.SubscriptionFailed, "table %s.%s was dropped", cur.Meta.NamespaceID, cur.Meta.TableName)
	}
	v, err := newView(f)
	if err != nil {
		e := wireError(err)
		return NewError(s.id, e.Code, "the subscription ended: %s", e.Message)
	}
	s.view = v
	return nil
}

// matchRow builds the row a filter is evaluated on from a change's values
// (in the column order of t, the table version the change was written
// with): this view's table columns, then _seq, then _deleted (false: a
// change's rows are never deleted versions, and a live WHERE may not name
// _deleted, engine.CompileFilter).
func (v *view) matchRow(t *catalog.Table, vals []any, seq int64) []any {
	n := len(v.table.Schema.Columns)
	out := make([]any, n+2)
	if t == v.table || t.Schema.Version == v.table.Schema.Version {
		copy(out, vals)
	} else {
		for i, j := range v.projection(t) {
			if j >= 0 && j < len(vals) {
				out[i] = vals[j]
			}
		}
	}
	out[n], out[n+1] = seq, int8(0)
	return out
}

// projection maps t's columns onto the view's table by column id.
func (v *view) projection(t *catalog.Table) []int {
	if v.projFrom == t {
		return v.proj
	}
	byID := make(map[int]int, len(t.Schema.Columns))
	for j, c := range t.Schema.Columns {
		byID[c.ColumnID] = j
	}
	proj := make([]int, len(v.table.Schema.Columns))
	for i, c := range v.table.Schema.Columns {
		proj[i] = -1
		if j, ok := byID[c.ColumnID]; ok {
			proj[i] = j
		}
	}
	v.projFrom, v.proj = t, proj
	return proj
}

// matcher evaluates a subscription's WHERE on a row (engine.Filter).
type matcher interface {
	Match(ctx context.Context, row []any) (bool, error)
}

// match evaluates the WHERE on r (false for a nil row). A row the
// condition cannot be evaluated on (a run-time error such as a failed
// cast) does not match, as NULL does not: one odd row must not end a
// subscription. An evaluation stopped at the statement time limit is the
// error: a WHERE that costs that much per change ends the subscription,
// or it would keep the connection's sender busy with every change.
func (v *view) match(ctx context.Context, r []any) (bool, error) {
	if r == nil {
		return false, nil
	}
	ok, err := v.cond.Match(ctx, r)
	if apierror.Is(err, apierror.QueryTimeout) {
		return false, err
	}
	return err == nil && ok, nil
}

// stopped is the message that ends s when evaluating a change had to be
// stopped.
func (s *subscription) stopped(err error) *ErrorMessage {
	e := wireError(err)
	return NewError(s.id, e.Code, "the subscription ended: its WHERE took too long to evaluate for a change: %s", e.Message)
}

// row encodes the shown columns of a match row for the wire.
func (v *view) row(r []any) Row {
	vals := make([]any, len(v.at))
	for i, at := range v.at {
		vals[i] = row.WireValue(v.types[i], r[at])
	}
	return Row{shape: v.shape, vals: vals}
}

// wireError maps an engine error to the codes a WebSocket client gets
// (docs/api.md). Messages of *apierror.Error are client-safe by contract, but
// an internal error's is replaced, its cause kept for logs.
func wireError(err error) *apierror.Error {
	e, ok := apierror.As(err)
	if !ok || e.Code == apierror.InternalError {
		return apierror.Wrap(apierror.SubscriptionFailed, err, "the subscription could not be served (internal error)")
	}
	code := e.Code
	switch code {
	case apierror.InvalidSQL, apierror.BatchParseError, apierror.EmptySQL:
		code = apierror.InvalidSQL
	case apierror.NotFound, apierror.TableNotFound, apierror.NamespaceNotFound:
		code = apierror.NotFound
	case apierror.PermissionDenied, apierror.Unauthorized:
		code = apierror.Unauthorized
	case apierror.Unsupported, apierror.InvalidSubscriptionID, apierror.SubscriptionLimitExceeded,
		apierror.BatchFetchFailed, apierror.Protocol, apierror.Killed, apierror.SubscriptionFailed:
	default:
		code = apierror.SubscriptionFailed
	}
	return &apierror.Error{Code: code, Message: e.Message, Details: e.Details, Cause: err}
}
