package engine

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// EXPLAIN answers as DataFusion does, KalamDB's engine: two columns,
// plan_type and plan, one row per plan, each plan a multi-line tree. The
// logical plan is the query as bound (names resolved, views expanded,
// nothing chosen yet); the physical plan is what would run, with each
// KalamDB table access described by what it reads: the partition, the
// index and its ranges, the hot tier (RocksDB) and the cold files
// (Parquet) in range. Nothing is executed: the statement is planned, as
// the session's user, which opens (and so permission-checks) every table
// it would read.

// explain plans the query of an EXPLAIN and describes the plans.
func (e *Engine) explain(sctx *sql.Context, ex *sqlparser.Explain, text string, bindings map[string]sqlparser.Expr, maxBytes int64) (*QueryResult, error) {
	binder := planbuilder.New(sctx, e.gms.Analyzer.Catalog, e.gms.EventScheduler, e.gms.Parser)
	if len(bindings) > 0 {
		binder.SetBindings(bindings)
	}
	bound, qFlags, err := binder.BindOnly(ex.Statement, text, nil)
	if err != nil {
		return nil, e.statementError(err, ex.Statement, sctx.GetCurrentDatabase())
	}
	logical, err := e.describePlan(sctx, bound, false)
	if err != nil {
		return nil, translateError(err)
	}
	analyzed, err := e.gms.Analyzer.Analyze(sctx, bound, nil, qFlags)
	if err != nil {
		return nil, translateError(err)
	}
	physical, err := e.describePlan(sctx, analyzed, true)
	if err != nil {
		return nil, translateError(err)
	}
	res := &QueryResult{ReturnsRows: true, Columns: []ResultColumn{{Name: "plan_type", WireType: "Text"}, {Name: "plan", WireType: "Text"}}}
	for _, p := range [][2]string{{"logical_plan", logical.String()}, {"physical_plan", physical.String()}} {
		plan := strings.TrimRight(p[1], "\n")
		res.Rows = append(res.Rows, []any{p[0], plan})
		res.Bytes += int64(len(p[0]) + len(plan) + 8)
	}
	if maxBytes > 0 && res.Bytes > maxBytes {
		return nil, limitError("max_result_bytes", "the plan is larger than %s", memory.ByteCount(maxBytes))
	}
	// The plan text is a result's rows like any other: reserved for the
	// request that answers it, or for the statement.
	if s, err := sessionOf(sctx); err == nil {
		if charge := s.budget.resultCharge(); !charge.Reserve(res.Bytes) {
			return nil, charge.Refusal()
		}
	}
	return res, nil
}

// describePlan replaces every table access of a plan, subqueries
// included, with its description (for a physical plan: what it reads; for
// a logical one: which table), and trims what only the engine needs to
// know; the engine's own rendering does the rest, so any operator the
// engine has, and any index a table offers, shows up.
func (e *Engine) describePlan(sctx *sql.Context, n sql.Node, physical bool) (sql.Node, error) {
	out, _, err := transform.NodeWithOpaque(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch leaf := n.(type) {
		case *plan.SubqueryAlias:
			return &labelledNode{label: fmt.Sprintf("SubqueryAlias(%s)", leaf.Name()), child: leaf.Child}, transform.NewTree, nil
		case *plan.Sort:
			// The markers of PostgreSQL's NULL placement, before the
			// analyzer applies them.
			if fields, changed := applyNullMarkers(leaf.SortFields); changed {
				return plan.NewSort(fields, leaf.Child), transform.NewTree, nil
			}
		case *plan.ResolvedTable:
			dt, ok := leaf.UnderlyingTable().(*dataTable)
			switch {
			case !ok:
				return n, transform.SameTree, nil
			case !physical:
				m := dt.shape.Meta
				return &accessNode{text: fmt.Sprintf("Table: %s.%s", m.NamespaceID, m.TableName), sch: leaf.Schema()}, transform.NewTree, nil
			}
			return &accessNode{text: e.describeScan(sctx, dt, nil, leaf.Name()), sch: leaf.Schema()}, transform.NewTree, nil
		case *plan.IndexedTableAccess:
			if dt, ok := leaf.UnderlyingTable().(*dataTable); ok {
				return &accessNode{text: e.describeScan(sctx, dt, leaf, leaf.Name()), sch: leaf.Schema()}, transform.NewTree, nil
			}
			return n, transform.SameTree, nil
		}
		return transform.OneNodeExpressions(n, func(x sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			sq, ok := x.(*plan.Subquery)
			if !ok {
				return x, transform.SameTree, nil
			}
			q, err := e.describePlan(sctx, sq.Query, physical)
			if err != nil {
				return nil, transform.SameTree, err
			}
			return sq.WithQuery(q), transform.NewTree, nil
		})
	})
	return out, err
}

// accessNode stands in for a table access in a plan that is only printed.
type accessNode struct {
	text string
	sch  sql.Schema
}

var _ sql.Node = (*accessNode)(nil)

func (a *accessNode) Resolved() bool       { return true }
func (a *accessNode) String() string       { return a.text }
func (a *accessNode) Schema() sql.Schema   { return a.sch }
func (a *accessNode) Children() []sql.Node { return nil }
func (a *accessNode) IsReadOnly() bool     { return true }
func (a *accessNode) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 0)
	}
	return a, nil
}

// labelledNode prints a node of a plan as a label over its child.
type labelledNode struct {
	label string
	child sql.Node
}

var _ sql.Node = (*labelledNode)(nil)

func (l *labelledNode) Resolved() bool       { return true }
func (l *labelledNode) Schema() sql.Schema   { return l.child.Schema() }
func (l *labelledNode) Children() []sql.Node { return []sql.Node{l.child} }
func (l *labelledNode) IsReadOnly() bool     { return true }
func (l *labelledNode) String() string {
	pr := sql.NewTreePrinter()
	_ = pr.WriteNode("%s", l.label)
	_ = pr.WriteChildren(l.child.String())
	return pr.String()
}
func (l *labelledNode) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 1)
	}
	return &labelledNode{label: l.label, child: children[0]}, nil
}

// describeScan describes one access to a KalamDB table: a scan of the
// session's partition (ita nil) or an index access.
func (e *Engine) describeScan(sctx *sql.Context, dt *dataTable, ita *plan.IndexedTableAccess, name string) string {
	s := dt.shape
	m := s.Meta
	pr := sql.NewTreePrinter()
	title := "TableScan"
	if ita != nil {
		title = "IndexScan"
	}
	where := fmt.Sprintf("%s table", m.TableType)
	switch {
	case dt.owner != "":
		where += ", partition of " + e.cat.Snapshot().Username(dt.owner)
	case m.TableType == dialect.TableTypeShared:
		where += ", ACCESS_LEVEL " + accessLevel(m.AccessLevel)
	}
	alias := ""
	if !strings.EqualFold(name, m.TableName) {
		alias = " as " + name
	}
	_ = pr.WriteNode("%s: %s.%s%s (%s)", title, m.NamespaceID, m.TableName, alias, where)

	var lines []string
	var parts []*scanPartition
	reads := readsPartition
	if ita != nil {
		idx := ita.Index()
		lines = append(lines, fmt.Sprintf("index: %s (%s)", idx.ID(), strings.Join(indexColumns(idx), ", ")))
		lookup := plan.GetIndexLookup(ita)
		switch {
		case !lookup.IsEmpty():
			if lookup.Ranges != nil && lookup.Ranges.Len() > 0 {
				lines = append(lines, "ranges: "+lookup.Ranges.DebugString())
			}
			reads = readsRanges
			var whole bool
			parts, lines, whole = e.lookupParts(sctx, dt, lookup, lines)
			if parts == nil && lookup.IsReverse {
				// A secondary index's ranges are not key ranges of the
				// partition, so no access line says the direction.
				lines = append(lines, "direction: reverse (the index read backwards)")
			}
			if whole {
				reads = readsPartition
			}
			if f := dt.fallback; f != nil && f.armed && dt.only == idx {
				budget := fmt.Sprintf("max(%d, %d × (LIMIT + OFFSET))", orderIndexMinBudget, orderIndexBudgetPerRow)
				if b := e.limits.OrderIndexBudget; b > 0 {
					budget = fmt.Sprint(b)
				}
				// The read plans them at the switch, with the same values.
				if ranges, ok := dt.fallbackRanges(sctx, f); ok {
					lines = append(lines, fmt.Sprintf("fallback: index %s (%s), after %s entries without the LIMIT's rows",
						f.alt.ID(), strings.Join(indexColumns(f.alt), ", "), budget))
					lines = append(lines, "fallback ranges: "+ranges.DebugString())
				} else {
					lines = append(lines, fmt.Sprintf("fallback: none (index %s (%s) has no ranges that read less than the order index's)",
						f.alt.ID(), strings.Join(indexColumns(f.alt), ", ")))
				}
			}
		default:
			keys := make([]string, 0, len(ita.Expressions()))
			for _, k := range ita.Expressions() {
				keys = append(keys, k.String())
			}
			lines = append(lines, fmt.Sprintf("lookup: one per row of the other side, by [%s]", strings.Join(keys, ", ")))
			reads = readsLookups
		}
	}
	if cols := dt.Projections(); cols != nil {
		for i := range cols {
			cols[i] = strings.ToLower(cols[i])
		}
		lines = append(lines, fmt.Sprintf("columns: %v", cols))
	}
	lines = append(lines, e.describeTiers(dt, parts, reads)...)
	_ = pr.WriteChildren(lines...)
	return pr.String()
}

// lookupParts turns a static index lookup into the key ranges the table
// reads (nil when the index is not the table's own key order), says how
// they are read, and whether they are the whole partition (an index read
// for its order only).
func (e *Engine) lookupParts(sctx *sql.Context, dt *dataTable, lookup sql.IndexLookup, lines []string) ([]*scanPartition, []string, bool) {
	if dt.shape.index == nil || lookup.Index.ID() != dt.shape.index.ID() {
		return nil, lines, false
	}
	iter, err := dt.LookupPartitions(sctx, lookup)
	if err != nil {
		return nil, append(lines, "access: "+err.Error()), false
	}
	defer iter.Close(sctx)
	var parts []*scanPartition
	points := 0
	for {
		p, err := iter.Next(sctx)
		if err != nil {
			break
		}
		sp, ok := p.(*scanPartition)
		if !ok {
			return nil, lines, false
		}
		if sp.point {
			points++
		}
		parts = append(parts, sp)
	}
	var access string
	whole := len(parts) == 1 && !parts[0].point && bytes.Equal(parts[0].start, dt.prefix) && bytes.Equal(parts[0].end, kv.PrefixEnd(dt.prefix))
	switch {
	case whole:
		access = "the whole partition, in key order"
		if parts[0].reverse {
			access = "the whole partition, in reverse key order"
		}
	case len(parts) == 0:
		access = "none (the ranges are empty)"
	case points == len(parts):
		access = fmt.Sprintf("point lookup of %d key%s", points, plural(points))
	default:
		access = fmt.Sprintf("%d key range%s", len(parts), plural(len(parts)))
		if parts[0].reverse {
			access += ", read in reverse key order"
		}
	}
	return parts, append(lines, "access: "+access), whole
}

// What a table access reads of its partition.
type readKind int

const (
	readsPartition readKind = iota // all of it
	readsRanges                    // key ranges known when planning
	readsLookups                   // one lookup per row of a join's other side
)

// describeTiers says where the rows come from: the partition's hot keys in
// RocksDB and the Parquet files its manifest lists (those whose key span
// meets the ranges, when the access has ranges).
func (e *Engine) describeTiers(dt *dataTable, parts []*scanPartition, reads readKind) []string {
	s := dt.shape
	hot := "hot: RocksDB " + s.Family
	switch {
	case reads == readsLookups:
		hot += ", the keys looked up"
	case reads == readsRanges:
		hot += ", the keys in range"
	case dt.owner != "":
		hot += ", the partition's keys"
	default:
		hot += ", every key"
	}
	if s.IsStream() {
		if s.Meta.TTLSeconds > 0 {
			hot += fmt.Sprintf(", events of the last %d s", s.Meta.TTLSeconds)
		}
		return []string{hot, "cold: none (STREAM tables stay in the hot tier)"}
	}
	files, err := e.tier.ManifestFiles(s.Table.Table, dt.owner)
	if err != nil {
		return []string{hot, "cold: the manifest is unreadable: " + err.Error()}
	}
	var rows int64
	for _, f := range files {
		rows += f.Rows
	}
	cold := fmt.Sprintf("cold: %d Parquet file%s, %d row versions", len(files), plural(len(files)), rows)
	switch {
	case len(files) == 0:
		cold = "cold: no Parquet files"
	case parts != nil:
		n := 0
		for _, f := range files {
			if fileMeetsParts(f, dt.prefix, parts) {
				n++
			}
		}
		cold += fmt.Sprintf(", %d with keys in range", n)
		if allPoints(parts) {
			cold += " (read only for keys with no hot version)"
		}
	case reads == readsLookups:
		cold += " (probed by key range and bloom filter)"
	}
	return []string{hot, cold}
}

// fileMeetsParts reports whether a file's key span meets any of the
// ranges (keys are partition-local in files, prefixed in ranges).
func fileMeetsParts(f systable.ManifestFile, prefix []byte, parts []*scanPartition) bool {
	lo, errLo := hex.DecodeString(f.MinPK)
	hi, errHi := hex.DecodeString(f.MaxPK)
	if errLo != nil || errHi != nil || f.MinPK == "" || f.MaxPK == "" {
		return true // no span recorded: it may hold anything
	}
	for _, p := range parts {
		start := bytes.TrimPrefix(p.start, prefix)
		if p.point {
			if bytes.Compare(lo, start) <= 0 && bytes.Compare(start, hi) <= 0 {
				return true
			}
			continue
		}
		var end []byte
		if p.end != nil && bytes.HasPrefix(p.end, prefix) && len(p.end) > len(prefix) {
			end = p.end[len(prefix):]
		}
		if bytes.Compare(hi, start) >= 0 && (end == nil || bytes.Compare(lo, end) < 0) {
			return true
		}
	}
	return false
}

func allPoints(parts []*scanPartition) bool {
	for _, p := range parts {
		if !p.point {
			return false
		}
	}
	return len(parts) > 0
}

// indexColumns names an index's columns without their table.
func indexColumns(idx sql.Index) []string {
	out := make([]string, 0, len(idx.Expressions()))
	for _, x := range idx.Expressions() {
		if _, col, ok := strings.Cut(x, "."); ok {
			x = col
		}
		out = append(out, strings.ToLower(x))
	}
	return out
}

func accessLevel(level string) string {
	if level == "" {
		return "PRIVATE"
	}
	return level
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
