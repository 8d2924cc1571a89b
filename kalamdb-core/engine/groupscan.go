package engine

// This file is longer than most on purpose: what plans the group scan
// takes, how it merges the tiers and how it accumulates must each agree
// with the engine's own operator, and are read together.

import (
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The group scan. An aggregate over a whole table (SELECT c, COUNT(*),
// AVG(LENGTH(t)) FROM ns.t GROUP BY c) costs, in the engine's GROUP BY,
// a row of boxed values per stored row, a grouping key hashed through
// fmt, and a decimal per AVG input: a dozen allocations per row. When the
// GROUP BY reads a table directly and every grouping and aggregate is of
// a simple kind, the exec builder runs groupScan instead: it merges the
// partition's hot versions and cold files key by key as the table's own
// iterator does, reads the columns it needs as stored values (hot rows
// with row.DecodeFields, cold files as column batches), groups on the
// stored bytes and accumulates integers, allocating per group, not per
// row. Its output rows are the engine's: the same groups in the same
// order (first seen, in key order), the same values of the same Go
// types, the same errors (a SUM that overflows). Anything else, or a
// statement that asks for deleted rows, takes the engine's GROUP BY;
// with the fast path disabled (tests) every statement does.
//
// Supported: GROUP BY columns of integer, BOOLEAN or TEXT (binary
// collation) type, or none; selected grouping columns; COUNT(*),
// COUNT(col), COUNT(constant); MIN and MAX of an integer column or of LENGTH/OCTET_LENGTH
// of a TEXT column; SUM and AVG of the same.

// gsValue is one input of a row: integers and BOOLEAN in i, TEXT in b (a
// hot row's bytes) or s (a cold page's string).
type gsValue struct {
	null bool
	i    int64
	b    []byte
	s    string
	str  bool // the text is in s
}

func (v *gsValue) text() string {
	if v.str {
		return v.s
	}
	return string(v.b)
}

// gsInput is a column the scan reads.
type gsInput struct {
	col  int // index in the table's schema
	kind schema.Kind
}

type gsOp int

const (
	gsFirst     gsOp = iota // the grouping column's value
	gsCountRows             // COUNT(*), COUNT(constant not NULL)
	gsCount                 // COUNT(col)
	gsMin                   // the engine's MIN
	gsMax                   // the engine's MAX
	gsSum                   // KalamDB's sum over integers
	gsAvg                   // KalamDB's avg over integers
)

// gsLength is what an aggregate applies to its TEXT input first.
type gsLength int

const (
	gsNoLength    gsLength = iota
	gsCharLength           // kdb_length: characters
	gsOctetLength          // kdb_octet_length: bytes
)

// gsSel is one selected expression.
type gsSel struct {
	op     gsOp
	in     int // input index; -1 for COUNT(*)
	length gsLength
	// kind is the Go type of a first value, MIN or MAX: the input
	// column's (int32 for lengths).
	kind schema.Kind
}

// gsAcc accumulates one aggregate of one group.
type gsAcc struct {
	n    int64
	sum  int64
	over decimal.Decimal // avg: what overflowed sum, exactly
	best int64
}

type gsGroup struct {
	first []any // per selected expression (first values only)
	acc   []gsAcc
}

// groupScan is the iterator.
type groupScan struct {
	dt      *dataTable
	inputs  []gsInput
	want    []int // the inputs' columns, for projections
	groupBy []int // input indices
	sels    []gsSel

	groups map[string]*gsGroup
	order  []*gsGroup
	pos    int
	done   bool
	key    []byte
	vals   []gsValue

	hot    *rowIter // the hot side: committed versions and the transaction's
	colds  []*gsCold
	fields []row.Field
	boxed  []any
	proj   *row.Projection

	// charge holds the memory of a new group against the statement's
	// budget, as the engine's grouping is charged (holders.go).
	charge func(n int64) error
}

// gsCold is one cold file's side of the merge.
type gsCold struct {
	c       *cold.Cursor
	b       *cold.Batch
	i       int
	ok      bool
	modes   []gsMode // per input
	missing []gsValue
}

// gsMode says how a cold file's column is read.
type gsMode int

const (
	gsTyped   gsMode = iota // a typed vector
	gsMissing               // the file predates the column: its DEFAULT
	gsBoxed                 // re-typed since: Vector.Value converts
)

// newGroupScan returns the group scan of gb, or ok false when the engine
// must run it.
func newGroupScan(ctx *sql.Context, gb *plan.GroupBy) (_ *groupScan, ok bool) {
	child := gb.Child
	if ta, isAlias := child.(*plan.TableAlias); isAlias {
		child = ta.Child
	}
	rt, isTable := child.(*plan.ResolvedTable)
	if !isTable {
		return nil, false
	}
	table := rt.Table
	if pt, isTracked := table.(*plan.ProcessTable); isTracked {
		// The engine's progress hooks; a group scan reports no partitions.
		table = pt.Underlying()
	}
	dt, isData := table.(*dataTable)
	if !isData || dt.e.noFastPath || dt.shape.IsStream() || dt.sess.showDeleted || len(dt.filters) > 0 || len(dt.textFilters) > 0 {
		return nil, false
	}
	g := &groupScan{dt: dt, groups: map[string]*gsGroup{}}
	for _, e := range gb.GroupByExprs {
		in, ok := g.input(e, true)
		if !ok {
			return nil, false
		}
		g.groupBy = append(g.groupBy, in)
	}
	aggs := 0
	for _, e := range gb.SelectedExprs {
		s, ok := g.selected(e)
		if !ok {
			return nil, false
		}
		if s.op != gsFirst {
			aggs++
		}
		g.sels = append(g.sels, s)
	}
	if len(g.groupBy) == 0 && aggs == 0 {
		return nil, false
	}
	dt.e.groupScans.Add(1)
	g.vals = make([]gsValue, len(g.inputs))
	g.fields = make([]row.Field, len(g.inputs))
	g.boxed = make([]any, len(g.inputs))
	g.want = make([]int, len(g.inputs))
	for k, in := range g.inputs {
		g.want[k] = in.col
	}
	return g, true
}

// input returns the input index of a column reference of the table, of
// a kind the scan reads (any kind when only its NULLs matter).
func (g *groupScan) input(e sql.Expression, valued bool) (int, bool) {
	gf, ok := e.(*expression.GetField)
	if !ok {
		return 0, false
	}
	i := gf.Index()
	if g.dt.projected != nil {
		if i < 0 || i >= len(g.dt.projected) {
			return 0, false
		}
		i = g.dt.projected[i]
	}
	s := g.dt.shape
	if i < 0 || i >= s.NUser || s.sch[i].Name != gf.Name() {
		return 0, false
	}
	kind := schema.KindOf(s.Schema.Columns[i].Type.Name)
	if valued {
		switch kind {
		case schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindBool:
		case schema.KindText:
			st, isString := s.sch[i].Type.(sql.StringType)
			if !isString || st.Collation() != sql.Collation_utf8mb4_0900_bin {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	for k, in := range g.inputs {
		if in.col == i {
			return k, true
		}
	}
	g.inputs = append(g.inputs, gsInput{col: i, kind: kind})
	return len(g.inputs) - 1, true
}

// intArg reads the argument of MIN, MAX, SUM or AVG: an integer column,
// or the length of a TEXT column.
func (g *groupScan) intArg(e sql.Expression, s *gsSel) bool {
	if f, ok := e.(*pgFunc); ok && len(f.args) == 1 {
		switch f.name {
		case "kdb_length":
			s.length = gsCharLength
		case "kdb_octet_length":
			s.length = gsOctetLength
		default:
			return false
		}
		in, ok := g.input(f.args[0], true)
		if !ok || g.inputs[in].kind != schema.KindText {
			return false
		}
		s.in, s.kind = in, schema.KindInt32
		return true
	}
	in, ok := g.input(e, true)
	if !ok {
		return false
	}
	switch k := g.inputs[in].kind; k {
	case schema.KindInt16, schema.KindInt32, schema.KindInt64:
		s.in, s.kind = in, k
		return true
	}
	return false
}

func (g *groupScan) selected(e sql.Expression) (gsSel, bool) {
	s := gsSel{in: -1}
	switch x := e.(type) {
	case *expression.GetField:
		in, ok := g.input(x, true)
		if !ok {
			return s, false
		}
		s.op, s.in, s.kind = gsFirst, in, g.inputs[in].kind
		return s, true
	case *aggregation.Count:
		if _, star := x.Child.(*expression.Star); star {
			s.op = gsCountRows
			return s, true
		}
		if lit, ok := asLiteral(x.Child); ok {
			if lit.Value() == nil {
				return s, false
			}
			s.op = gsCountRows
			return s, true
		}
		if isConstant(x.Child) {
			// A cast constant (COUNT(TIMESTAMPTZ '...'), COUNT(DATE
			// '...' + 1)) counts the rows too when it is not NULL; one
			// that is, or fails, is the engine's to answer.
			if _, ok := constantValue(x.Child); !ok {
				return s, false
			}
			s.op = gsCountRows
			return s, true
		}
		in, ok := g.input(x.Child, false)
		if !ok {
			return s, false
		}
		s.op, s.in = gsCount, in
		return s, true
	case *aggregation.Min:
		s.op = gsMin
		return s, g.intArg(x.Child, &s)
	case *aggregation.Max:
		s.op = gsMax
		return s, g.intArg(x.Child, &s)
	case *pgAgg:
		if x.spec.distinct || x.spec.filter || len(x.spec.order) > 0 || len(x.values) != 1 || x.fam != famInt {
			return s, false
		}
		switch x.spec.name {
		case "sum":
			s.op = gsSum
		case "avg":
			s.op = gsAvg
		case "min":
			// The engine's own MIN and MAX of a grouping by keys become
			// KalamDB's (groupedExtremes); over integers they agree.
			s.op = gsMin
		case "max":
			s.op = gsMax
		default:
			return s, false
		}
		return s, g.intArg(x.values[0], &s)
	}
	return s, false
}

// Next implements sql.RowIter: one row per group.
func (g *groupScan) Next(ctx *sql.Context) (sql.Row, error) {
	if !g.done {
		g.done = true
		err := g.compute(ctx)
		g.closeSources()
		if err != nil {
			return nil, err
		}
		if len(g.groupBy) == 0 && len(g.order) == 0 {
			g.order = append(g.order, g.newGroup())
		}
	}
	if g.pos >= len(g.order) {
		return nil, io.EOF
	}
	gr := g.order[g.pos]
	g.pos++
	out := make(sql.Row, len(g.sels))
	for j := range g.sels {
		out[j] = g.result(gr, j)
	}
	return out, nil
}

// Close implements sql.RowIter.
func (g *groupScan) Close(*sql.Context) error {
	g.closeSources()
	return nil
}

func (g *groupScan) closeSources() {
	for _, c := range g.colds {
		c.c.Close()
	}
	g.colds = nil
	if g.hot != nil {
		_ = g.hot.Close(nil)
		g.hot = nil
	}
}

// open sets up the merge of the partition's hot versions (with the
// transaction's own) and its cold files, as dataTable.scan does.
func (g *groupScan) open(ctx *sql.Context) error {
	t := g.dt
	s := t.shape
	start, end := t.prefix, kv.PrefixEnd(t.prefix)
	hot := &rowIter{t: t, prefixLen: len(t.prefix)}
	if tx := t.sess.tx; tx != nil {
		hot.pending = tx.PendingRange(s.Table, start, end)
	}
	snap, err := t.sess.snapshot()
	if err != nil {
		return tableError(s, err)
	}
	hot.snap = snap
	t.sess.track(hot)
	g.hot = hot
	if hot.files, err = t.e.tier.PartitionFiles(ctx, s.Table.Table, t.owner, snap); err != nil {
		return err
	}
	want := g.want
	for _, f := range hot.files {
		cc, err := f.Cold().Rows(ctx, s.Schema, want, cold.Range{})
		if err != nil {
			return coldReadError(s.Meta.TableID, err)
		}
		c := &gsCold{c: cc, b: cc.NewBatch(), modes: make([]gsMode, len(g.inputs)), missing: make([]gsValue, len(g.inputs))}
		g.colds = append(g.colds, c)
		for k := range g.inputs {
			v := &c.b.Cols[k]
			switch {
			case v.Missing:
				c.modes[k] = gsMissing
				vals := []any{nil}
				s.FillMissing(vals, want[k:k+1], func(int) bool { return true })
				c.missing[k] = boxedValue(vals[0])
			case v.Converted():
				c.modes[k] = gsBoxed
			}
		}
		if err := c.next(); err != nil {
			return err
		}
	}
	if hot.kit, err = s.CF.NewIter(kv.IterOptions{LowerBound: start, UpperBound: end, Snapshot: snap}); err != nil {
		return tableError(s, err)
	}
	return nil
}

// next moves a cold side to its next row.
func (c *gsCold) next() error {
	c.i++
	for !c.ok || c.i >= c.b.Len {
		ok, err := c.c.NextBatch(c.b)
		if err != nil {
			return err
		}
		if !ok {
			c.ok = false
			return nil
		}
		c.ok, c.i = true, 0
	}
	return nil
}

func (c *gsCold) key() []byte { return c.b.Key(c.i) }

// compute reads the partition once and accumulates every group.
func (g *groupScan) compute(ctx *sql.Context) error {
	if err := g.open(ctx); err != nil {
		return err
	}
	perGroup := groupOverhead + aggOverhead*int64(len(g.sels))
	g.charge = func(key int64) error { return hold(ctx, "GROUP BY", perGroup+key) }
	s := g.dt.shape
	hot := g.hot
	var hk, hv []byte
	hotOK := false
	hotNext := func() error {
		k, v, ok, err := hot.advance()
		hk, hv, hotOK = k, v, ok
		return err
	}
	if err := hotNext(); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// The smallest key of all sources; the newest version there wins
		// (a hot one always is).
		var best []byte
		if hotOK {
			best = hk[hot.prefixLen:]
		}
		for _, c := range g.colds {
			if c.ok && (best == nil || bytes.Compare(c.key(), best) < 0) {
				best = c.key()
			}
		}
		if best == nil {
			return nil
		}
		var win *gsCold
		for _, c := range g.colds {
			if c.ok && bytes.Equal(c.key(), best) && (win == nil || c.b.Seq[c.i] > win.b.Seq[win.i]) {
				win = c
			}
		}
		hotAt := hotOK && bytes.Equal(hk[hot.prefixLen:], best)
		if hotAt {
			h, err := row.DecodeHeader(hv)
			if err != nil {
				return tableError(s, err)
			}
			if win == nil || h.Seq >= win.b.Seq[win.i] {
				win = nil
				if !h.Deleted {
					if err := g.addHot(h, hv); err != nil {
						return err
					}
				}
			}
		}
		if win != nil && !win.b.Deleted[win.i] {
			if err := g.addCold(win); err != nil {
				return err
			}
		}
		// Every side at that key moves on, the cold ones first: best may
		// view the hot side's buffer, which its next step reuses (a cold
		// key views an immutable page).
		for _, c := range g.colds {
			if c.ok && bytes.Equal(c.key(), best) {
				if err := c.next(); err != nil {
					return err
				}
			}
		}
		if hotAt {
			if err := hotNext(); err != nil {
				return err
			}
		}
	}
}

// addHot reads a live hot version's inputs and accumulates them. The
// hot key best pointed into stays valid: the hot side moves on after.
func (g *groupScan) addHot(h row.Header, value []byte) error {
	s := g.dt.shape
	if g.proj == nil || g.proj.Version() != h.SchemaVersion {
		proj, err := s.Projection(h.SchemaVersion, g.want)
		if err != nil {
			return err
		}
		g.proj = proj
	}
	if g.proj.Fieldable() && !g.proj.AnyMissing() {
		if _, err := g.proj.DecodeFields(value, g.fields); err != nil {
			return tableError(s, err)
		}
		for k := range g.inputs {
			f := &g.fields[k]
			g.vals[k] = gsValue{null: f.Null, i: f.I, b: f.B}
		}
		return g.add()
	}
	// Written before a column existed, or before one was re-typed: the
	// table's own decoding fills the DEFAULT or converts.
	if _, err := g.proj.Decode(value, g.boxed); err != nil {
		return tableError(s, err)
	}
	if g.proj.AnyMissing() {
		s.FillMissing(g.boxed, g.want, g.proj.Missing)
	}
	for k := range g.inputs {
		g.vals[k] = boxedValue(g.boxed[k])
	}
	return g.add()
}

// addCold reads a cold row's inputs from its batch and accumulates them.
func (g *groupScan) addCold(c *gsCold) error {
	i := c.i
	for k := range g.inputs {
		v := &c.b.Cols[k]
		switch c.modes[k] {
		case gsMissing:
			g.vals[k] = c.missing[k]
			continue
		case gsBoxed:
			x, err := v.Value(i)
			if err != nil {
				return err
			}
			g.vals[k] = boxedValue(x)
			continue
		}
		if v.IsNull(i) {
			g.vals[k] = gsValue{null: true}
			continue
		}
		switch v.Kind() {
		case schema.KindInt64:
			g.vals[k] = gsValue{i: v.Int64s(i + 1)[i]}
		case schema.KindInt16, schema.KindInt32:
			g.vals[k] = gsValue{i: int64(v.Int32s(i + 1)[i])}
		case schema.KindBool:
			g.vals[k] = gsValue{i: b2i(v.Bools(i + 1)[i])}
		case schema.KindText:
			g.vals[k] = gsValue{s: v.Str(i), str: true}
		default:
			// A column whose NULLs are all that matter (COUNT).
			g.vals[k] = gsValue{}
		}
	}
	return g.add()
}

// runeCountString and runeCountBytes are utf8.RuneCount, faster on
// ASCII text (most of it).
func runeCountString(s string) int {
	i := asciiPrefix(s)
	return i + utf8.RuneCountInString(s[i:])
}

func runeCountBytes(b []byte) int {
	i := asciiPrefix(b)
	return i + utf8.RuneCount(b[i:])
}

// asciiPrefix is the length of s's leading ASCII bytes, read eight at a
// time while none has the high bit set.
func asciiPrefix[T string | []byte](s T) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			break
		}
	}
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// boxedValue is a gsValue of a value as the table's decoding boxes it.
func boxedValue(x any) gsValue {
	switch v := x.(type) {
	case nil:
		return gsValue{null: true}
	case int8:
		return gsValue{i: int64(v)}
	case int16:
		return gsValue{i: int64(v)}
	case int32:
		return gsValue{i: int64(v)}
	case int64:
		return gsValue{i: v}
	case string:
		return gsValue{s: v, str: true}
	}
	return gsValue{} // present; only its presence is read
}

// add accumulates the current row (g.vals) into its group.
func (g *groupScan) add() error {
	g.key = g.key[:0]
	for _, in := range g.groupBy {
		v := &g.vals[in]
		if v.null {
			g.key = append(g.key, 0)
			continue
		}
		g.key = append(g.key, 1)
		if g.inputs[in].kind == schema.KindText {
			n := len(v.b)
			if v.str {
				n = len(v.s)
			}
			g.key = binary.AppendUvarint(g.key, uint64(n))
			if v.str {
				g.key = append(g.key, v.s...)
			} else {
				g.key = append(g.key, v.b...)
			}
			continue
		}
		g.key = binary.BigEndian.AppendUint64(g.key, uint64(v.i))
	}
	gr, ok := g.groups[string(g.key)]
	if !ok {
		if err := g.charge(int64(len(g.key))); err != nil {
			return err
		}
		gr = g.newGroup()
		for j, s := range g.sels {
			if s.op == gsFirst {
				gr.first[j] = firstValue(&g.vals[s.in], s.kind)
			}
		}
		g.groups[string(g.key)] = gr
		g.order = append(g.order, gr)
	}
	for j := range g.sels {
		s := &g.sels[j]
		a := &gr.acc[j]
		switch s.op {
		case gsFirst:
		case gsCountRows:
			a.n++
		case gsCount:
			if !g.vals[s.in].null {
				a.n++
			}
		default:
			v := &g.vals[s.in]
			if v.null {
				continue
			}
			x := v.i
			switch s.length {
			case gsCharLength:
				if v.str {
					x = int64(runeCountString(v.s))
				} else {
					x = int64(runeCountBytes(v.b))
				}
			case gsOctetLength:
				if v.str {
					x = int64(len(v.s))
				} else {
					x = int64(len(v.b))
				}
			}
			if err := a.add(s.op, x); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *groupScan) newGroup() *gsGroup {
	return &gsGroup{first: make([]any, len(g.sels)), acc: make([]gsAcc, len(g.sels))}
}

// add accumulates x into an aggregate as the engine's buffers do.
func (a *gsAcc) add(op gsOp, x int64) error {
	a.n++
	switch op {
	case gsMin:
		if a.n == 1 || x < a.best {
			a.best = x
		}
	case gsMax:
		if a.n == 1 || x > a.best {
			a.best = x
		}
	case gsSum:
		s, err := intOp("+", a.sum, x)
		if err != nil {
			return err
		}
		a.sum = s
	case gsAvg:
		// Exactly, as KalamDB's avg sums integers: in an int64 while it
		// fits, carrying what overflows in a decimal.
		if s, ok := addInt64(a.sum, x); ok {
			a.sum = s
		} else {
			a.over = a.over.Add(decimal.NewFromInt(a.sum))
			a.sum = x
		}
	}
	return nil
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, false
	}
	return s, true
}

// result is selected expression j of group gr.
func (g *groupScan) result(gr *gsGroup, j int) any {
	s := &g.sels[j]
	a := &gr.acc[j]
	switch s.op {
	case gsFirst:
		return gr.first[j]
	case gsCountRows, gsCount:
		return a.n
	case gsMin, gsMax:
		if a.n == 0 {
			return nil
		}
		return boxInt(a.best, s.kind)
	case gsSum:
		if a.n == 0 {
			return nil
		}
		return a.sum
	case gsAvg:
		if a.n == 0 {
			return nil
		}
		f, _ := a.over.Add(decimal.NewFromInt(a.sum)).Div(decimal.NewFromInt(a.n)).Float64()
		return f
	}
	return nil
}

// firstValue is a grouping column's value as the table's rows give it.
func firstValue(v *gsValue, kind schema.Kind) any {
	if v.null {
		return nil
	}
	if kind == schema.KindText {
		return v.text()
	}
	return boxInt(v.i, kind)
}

func boxInt(x int64, kind schema.Kind) any {
	switch kind {
	case schema.KindBool:
		return int8(x)
	case schema.KindInt16:
		return int16(x)
	case schema.KindInt32:
		return int32(x)
	}
	return x
}
