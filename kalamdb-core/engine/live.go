package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// ChangeType says what a committed change did to a row.
type ChangeType string

// Change types, as on the WebSocket wire.
const (
	ChangeInsert ChangeType = "insert"
	ChangeUpdate ChangeType = "update"
	ChangeDelete ChangeType = "delete"
)

// Change is one committed row change, published after its batch is
// durable (DESIGN §6).
type Change struct {
	Table *catalog.Table
	// UserID is the partition owner for USER tables, "" otherwise.
	UserID string
	Type   ChangeType
	// Old and New are the row's user column values (the table's current
	// schema order) before and after; Old is nil for an insert, New for a
	// delete. OldSeq/NewSeq are the _seq of those versions.
	Old, New       []any
	OldSeq, NewSeq int64
}

// ChangeSink receives committed changes. Publish is called while the
// written partitions are locked, in commit order per partition; it must
// not block (queue and return).
type ChangeSink interface {
	Publish(changes []Change)
}

// SubscriberCounter is optionally implemented by a ChangeSink: it reports
// whether a STREAM table has any subscriber, so that an EPHEMERAL table
// drops events nobody would receive instead of storing them.
type SubscriberCounter interface {
	HasSubscribers(t *catalog.Table) bool
}

// hasSubscribers reports whether events of t would reach anyone.
func (e *Engine) hasSubscribers(t *catalog.Table) bool {
	e.sinkMu.RLock()
	sink := e.sink
	e.sinkMu.RUnlock()
	if c, ok := sink.(SubscriberCounter); ok {
		return c.HasSubscribers(t)
	}
	return false
}

// SetChangeSink installs the receiver of committed changes.
func (e *Engine) SetChangeSink(s ChangeSink) {
	e.sinkMu.Lock()
	e.sink = s
	e.sinkMu.Unlock()
}

func (e *Engine) publish(writes []*pendingWrite) {
	e.sinkMu.RLock()
	sink := e.sink
	e.sinkMu.RUnlock()
	if sink == nil {
		return
	}
	changes := make([]Change, 0, len(writes))
	for _, w := range writes {
		c := Change{Table: w.table, UserID: w.userID, Old: w.before, New: w.after, OldSeq: w.beforeSeq, NewSeq: w.seq}
		switch {
		case w.before == nil && w.live:
			c.Type = ChangeInsert
		case w.before != nil && w.live:
			c.Type = ChangeUpdate
		case w.before != nil && !w.live:
			c.Type, c.New = ChangeDelete, nil
		default:
			continue // a row inserted and deleted within one transaction
		}
		changes = append(changes, c)
	}
	if len(changes) > 0 {
		sink.Publish(changes)
	}
}

// OpenPartitionFeed runs register (which adds a subscriber to the change
// feed) while no commit to the partition can be in flight, then takes a
// snapshot. Every commit to the partition is therefore either visible in
// the snapshot or published to the subscriber afterwards, never both and
// never neither: what a live query's initial data and its change stream
// rely on. The snapshot also keeps the Parquet files it sees until it is
// closed, however long that takes. The caller must Close it.
func (e *Engine) OpenPartitionFeed(t *catalog.Table, userID string, register func()) (*FeedSnapshot, error) {
	cf, ok := e.cat.DB().LookupColumnFamily(t.Family)
	if !ok {
		return nil, apierror.New(apierror.TableNotFound, "table %s.%s was dropped", t.Meta.NamespaceID, t.Meta.TableName)
	}
	owner := userID
	if t.Meta.TableType != dialect.TableTypeUser {
		owner = ""
	}
	unlock := e.locks.lock([]*pendingWrite{{cf: cf, userID: owner}})
	defer unlock()
	release := e.obsolete.pin()
	register()
	snap, err := e.cat.DB().NewSnapshot()
	if err != nil {
		release()
		return nil, fmt.Errorf("open feed of %s.%s: %w", t.Meta.NamespaceID, t.Meta.TableName, err)
	}
	return &FeedSnapshot{Snapshot: snap, release: release}, nil
}

// Filter is a live query compiled once: its table, the columns it shows
// and its WHERE as an engine expression evaluated against changed rows.
type Filter struct {
	e     *Engine
	Table *catalog.Table
	// Columns are the selected columns (names as in the table), in order;
	// the system columns _seq and _deleted may be among them.
	Columns []string
	// SQL is the SELECT to run for the initial data, with the WHERE of the
	// subscription.
	SQL string
	// Where is the subscription's condition as engine SQL text ("" when
	// it has none), for composing initial-data queries such as
	// SELECT * FROM t WHERE (Where) AND _seq > n ORDER BY _seq.
	Where     string
	userID    string
	role      systable.Role
	namespace string
	cond      sql.Expression // nil: every row matches
	// condCols are the column names of the rows cond is evaluated against.
	condCols []string
}

// CompileFilter compiles a live query: a single-table SELECT of plain
// columns (or *) with an optional WHERE, on a table the user may read.
func (e *Engine) CompileFilter(ctx context.Context, userID string, role systable.Role, namespace, selectSQL string) (*Filter, error) {
	st, err := dialect.ParseOne(selectSQL)
	if err != nil {
		return nil, err
	}
	std, ok := st.(*dialect.StandardSQL)
	if !ok || std.Kind() != dialect.KindSelect {
		return nil, apierror.New(apierror.Unsupported, "a live query must be a SELECT")
	}
	es, err := dialect.EngineText(std)
	if err != nil {
		return nil, err
	}
	if es.Params > 0 {
		return nil, apierror.New(apierror.Unsupported, "a live query cannot have parameters")
	}
	parsed, err := e.parse(ctx, es)
	if err != nil {
		return nil, err
	}
	sel, ok := parsed.(*sqlparser.Select)
	if !ok || sel.With != nil || len(sel.GroupBy) > 0 || sel.Having != nil || len(sel.OrderBy) > 0 || sel.Limit != nil ||
		sel.Into != nil || len(sel.From) != 1 || sel.QueryOpts != (sqlparser.QueryOpts{}) || len(sel.Window) > 0 {
		return nil, apierror.New(apierror.Unsupported, "a live query is SELECT columns FROM ns.table [WHERE ...], without joins, grouping, ordering or limits")
	}
	ate, ok := sel.From[0].(*sqlparser.AliasedTableExpr)
	if !ok {
		return nil, apierror.New(apierror.Unsupported, "a live query reads one table")
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok {
		return nil, apierror.New(apierror.Unsupported, "a live query reads one table")
	}
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		ns = namespace
	}
	name := strings.ToLower(tn.Name.String())
	snap := e.cat.Snapshot()
	if ns == catalog.SystemNamespace {
		// Refuse by role first, so a user learns only that system tables
		// are not theirs to read.
		if !role.AtLeast(systable.RoleDBA) {
			return nil, apierror.New(apierror.PermissionDenied, "system tables need the dba role")
		}
		return nil, apierror.New(apierror.Unsupported, "live queries on system tables are not supported; query them with SELECT")
	}
	if _, ok := snap.Namespace(ns); !ok {
		return nil, apierror.New(apierror.NotFound, "namespace %s does not exist", ns)
	}
	t, ok := snap.Table(ns, name)
	if !ok {
		return nil, apierror.New(apierror.NotFound, "table %s.%s does not exist", ns, name)
	}
	if err := CanRead(role, t); err != nil {
		return nil, err
	}
	shape, err := e.provider.tables.shape(t)
	if err != nil {
		return nil, err
	}
	f := &Filter{e: e, Table: t, userID: userID, role: role, namespace: ns}
	for _, se := range sel.SelectExprs {
		switch x := se.(type) {
		case *sqlparser.StarExpr:
			for _, c := range shape.sch {
				f.Columns = append(f.Columns, c.Name)
			}
		case *sqlparser.AliasedExpr:
			c, ok := x.Expr.(*sqlparser.ColName)
			if !ok || !x.As.IsEmpty() {
				return nil, apierror.New(apierror.Unsupported, "a live query selects plain columns or *")
			}
			if shape.sch.IndexOfColName(c.Name.Lowered()) < 0 {
				return nil, apierror.New(apierror.InvalidSQL, "column %s does not exist in %s.%s", c.Name.Lowered(), ns, name)
			}
			f.Columns = append(f.Columns, c.Name.Lowered())
		default:
			return nil, apierror.New(apierror.Unsupported, "a live query selects plain columns or *")
		}
	}
	where := ""
	if sel.Where != nil {
		f.Where = conditionText(sel.Where.Expr)
		where = " WHERE " + f.Where
	}
	f.SQL = fmt.Sprintf(`SELECT * FROM "%s"."%s"%s`, ns, name, where)
	if sel.Where != nil {
		if err := e.compileCondition(ctx, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// compileCondition plans the filter's SELECT with the engine and keeps the
// Filter node's expression and the schema of the rows it reads.
func (e *Engine) compileCondition(ctx context.Context, f *Filter) error {
	sctx, release, err := e.newContext(ctx, f.userID, f.role, f.namespace, nil)
	if err != nil {
		return err
	}
	defer release()
	sess := sctx.Session.(*Session)
	sess.noIndexes = true // keep the WHERE as one Filter over a full scan
	node, err := e.gms.AnalyzeQuery(sctx, f.SQL)
	if err != nil {
		return translateError(err)
	}
	var found *plan.Filter
	transform.Inspect(node, func(n sql.Node) bool {
		if fl, ok := n.(*plan.Filter); ok && found == nil {
			found = fl
			return false
		}
		return true
	})
	if found == nil {
		return apierror.New(apierror.Unsupported, "the WHERE of this live query cannot be evaluated per row")
	}
	f.cond = found.Expression
	for _, c := range found.Child.Schema() {
		f.condCols = append(f.condCols, c.Name)
	}
	return nil
}

// Match reports whether a row (values of the table's columns in the
// current schema order, then _seq and _deleted) satisfies the WHERE.
func (f *Filter) Match(ctx context.Context, row []any) (bool, error) {
	if f.cond == nil {
		return true, nil
	}
	shape, err := f.e.provider.tables.shape(f.Table)
	if err != nil {
		return false, err
	}
	in := make(sql.Row, len(f.condCols))
	for i, name := range f.condCols {
		if j := shape.sch.IndexOfColName(name); j >= 0 && j < len(row) {
			in[i] = row[j]
		}
	}
	sctx, release, err := f.e.newContext(ctx, f.userID, f.role, f.namespace, nil)
	if err != nil {
		return false, err
	}
	defer release()
	v, err := sql.EvaluateCondition(sctx, f.cond, in)
	if err != nil {
		return false, translateError(err)
	}
	return sql.IsTrue(v), nil // NULL, like false, is no match
}
