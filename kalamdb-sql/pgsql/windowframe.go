package pgsql

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Window frames, as PostgreSQL has them: ROWS, RANGE and GROUPS units,
// bounds UNBOUNDED, CURRENT ROW and an offset PRECEDING or FOLLOWING
// (with RANGE, a distance in the one ORDER BY key's values: an integer,
// a decimal or a float constant, or an INTERVAL for a date or timestamp
// key), and EXCLUDE CURRENT ROW, GROUP, TIES or NO OTHERS. The functions
// that use a frame (aggregates, first_value, last_value, nth_value) run
// through the aggregate carrier, whose options carry the frame
// (frameOptions); the engine computes every frame itself
// (kalamdb-core/engine/windowcursor.go). Ranking functions, lag and lead
// ignore the frame, as in PostgreSQL, which still checks it (checkFrame).

// PostgreSQL's FRAMEOPTION_* bits.
const (
	frameOptionNonDefault              = 0x00001
	frameOptionRange                   = 0x00002
	frameOptionRows                    = 0x00004
	frameOptionGroups                  = 0x00008
	frameOptionStartUnboundedPreceding = 0x00020
	frameOptionEndUnboundedFollowing   = 0x00100
	frameOptionStartCurrentRow         = 0x00200
	frameOptionEndCurrentRow           = 0x00400
	frameOptionStartOffsetPreceding    = 0x00800
	frameOptionEndOffsetPreceding      = 0x01000
	frameOptionStartOffsetFollowing    = 0x02000
	frameOptionEndOffsetFollowing      = 0x04000
	frameOptionExcludeCurrentRow       = 0x08000
	frameOptionExcludeGroup            = 0x10000
	frameOptionExcludeTies             = 0x20000
	frameOptionOffsets                 = frameOptionStartOffsetPreceding | frameOptionEndOffsetPreceding |
		frameOptionStartOffsetFollowing | frameOptionEndOffsetFollowing
	// frameOptionDefaults is a window without a frame clause.
	frameOptionDefaults = frameOptionRange | frameOptionStartUnboundedPreceding | frameOptionEndCurrentRow
)

// frameOptions is w's explicit frame as carrier options
// (";frame=<unit><start><end><exclude>[;fs=<offset>][;fe=<offset>]"), or
// "" for the default frame. It checks the frame as PostgreSQL does.
func (t *translator) frameOptions(w *pg.WindowDef) (string, error) {
	if err := t.checkFrame(w, true); err != nil {
		return "", err
	}
	opts := w.FrameOptions
	if opts&frameOptionNonDefault == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString(";frame=")
	switch {
	case opts&frameOptionRows != 0:
		b.WriteByte('r')
	case opts&frameOptionGroups != 0:
		b.WriteByte('g')
	default:
		b.WriteByte('R')
	}
	var offsets [2]string
	for i, start := range []bool{true, false} {
		bits := [4]int32{frameOptionStartUnboundedPreceding, frameOptionStartCurrentRow, frameOptionStartOffsetPreceding, frameOptionStartOffsetFollowing}
		off := w.StartOffset
		if !start {
			bits = [4]int32{frameOptionEndUnboundedFollowing, frameOptionEndCurrentRow, frameOptionEndOffsetPreceding, frameOptionEndOffsetFollowing}
			off = w.EndOffset
		}
		switch {
		case opts&bits[0] != 0:
			b.WriteByte('u')
		case opts&bits[1] != 0:
			b.WriteByte('c')
		default:
			b.WriteByte("pf"[boolIndex(opts&bits[3] != 0)])
			o, err := t.frameOffset(opts, off, start, true)
			if err != nil {
				return "", err
			}
			offsets[i] = o
		}
	}
	switch {
	case opts&frameOptionExcludeCurrentRow != 0:
		b.WriteByte('c')
	case opts&frameOptionExcludeGroup != 0:
		b.WriteByte('g')
	case opts&frameOptionExcludeTies != 0:
		b.WriteByte('t')
	default:
		b.WriteByte('n')
	}
	for i, o := range offsets {
		if o != "" {
			b.WriteString([]string{";fs=", ";fe="}[i])
			b.WriteString(o)
		}
	}
	return b.String(), nil
}

// checkFrame refuses the frames PostgreSQL refuses while it parses a
// window, used or not; a used window's offsets must also not be null or
// negative (which PostgreSQL checks when it runs the window).
func (t *translator) checkFrame(w *pg.WindowDef, used bool) error {
	opts := w.FrameOptions
	if opts&frameOptionNonDefault == 0 {
		return nil
	}
	switch {
	case opts&frameOptionGroups != 0 && len(w.OrderClause) == 0:
		return t.errorAt(w.Location, "GROUPS mode requires an ORDER BY clause")
	case opts&frameOptionRange != 0 && opts&frameOptionOffsets != 0 && len(w.OrderClause) != 1:
		return t.errorAt(w.Location, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
	}
	for i, off := range []*pg.Node{w.StartOffset, w.EndOffset} {
		if off == nil {
			continue
		}
		if _, err := t.frameOffset(opts, off, i == 0, used); err != nil {
			return err
		}
	}
	return nil
}

// frameOffset is a frame's offset as a carrier option: i and an integer
// for ROWS and GROUPS; for RANGE, the constant's kind (i integer, n
// numeric, f float, v interval, u a quoted literal of unknown type) and text, which the engine reads for the
// ORDER BY key's type.
func (t *translator) frameOffset(opts int32, offset *pg.Node, start, used bool) (string, error) {
	word := "starting"
	if !start {
		word = "ending"
	}
	unit := "ROWS"
	switch {
	case opts&frameOptionRange != 0:
		unit = "RANGE"
	case opts&frameOptionGroups != 0:
		unit = "GROUPS"
	}
	if hasColumnRef(offset) {
		return "", t.errorAt(location(offset), "argument of %s must not contain variables", unit)
	}
	negative := false
	if e := offset.GetAExpr(); e != nil && e.Lexpr == nil && len(e.Name) == 1 && e.Name[0].GetString_().GetSval() == "-" {
		negative, offset = true, e.Rexpr
	}
	kind, text := byte(0), ""
	c := offset.GetAConst()
	if tc := offset.GetTypeCast(); tc != nil && tc.Arg.GetAConst() != nil && len(tc.TypeName.GetTypmods()) == 0 {
		c = tc.Arg.GetAConst()
		names := tc.TypeName.GetNames()
		typ := names[len(names)-1].GetString_().GetSval()
		switch typ {
		case "int2", "int4", "int8":
			kind = 'i'
		case "numeric":
			kind = 'n'
		case "float4", "float8":
			kind = 'f'
		case "interval":
			kind = 'v'
		default:
			return "", t.unsupported(location(offset), "a frame offset of type %s is not supported", typ)
		}
	}
	switch {
	case c == nil:
		return "", t.unsupported(location(offset), "a frame offset must be a constant")
	case c.Isnull && !used:
		return "", nil
	case c.Isnull:
		return "", t.errorAt(location(offset), "frame %s offset must not be null", word)
	case c.GetIval() != nil:
		text = strconv.FormatInt(int64(c.GetIval().GetIval()), 10)
	case c.GetFval() != nil:
		text = c.GetFval().GetFval()
	case c.GetSval() != nil:
		text = strings.TrimSpace(c.GetSval().GetSval())
		if kind == 0 {
			// A quoted literal is of unknown type: PostgreSQL reads it
			// with the input rules of the offset's type, bigint for ROWS
			// and GROUPS, the key's offset type for RANGE (an interval for
			// a date or timestamp key), which the engine knows.
			kind = 'u'
			if opts&frameOptionRange == 0 {
				if _, err := strconv.ParseInt(text, 10, 64); errors.Is(err, strconv.ErrRange) {
					return "", t.execErrorAt(location(offset), "value %q is out of range for type bigint", text)
				} else if err != nil {
					return "", t.errorAt(location(offset), "invalid input syntax for type bigint: %q", text)
				}
				kind = 'i'
			}
		}
	default:
		return "", t.unsupported(location(offset), "a frame offset must be a number or an interval")
	}
	if kind == 0 {
		// An integer constant beyond 32 bits is a bigint, as in
		// PostgreSQL, if it fits one; a numeric if not.
		kind = 'i'
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			kind = 'n'
		}
	}
	if negative {
		text = "-" + text
	}
	if opts&frameOptionRange != 0 {
		if strings.ContainsRune(text, ';') {
			return "", t.errorAt(location(offset), "invalid input syntax for type interval: %q", text)
		}
		// A negative offset fails when the window runs (the engine checks
		// every offset's value there).
		return string(kind) + text, nil
	}
	// ROWS and GROUPS: PostgreSQL casts the offset to bigint: a numeric
	// constant is rounded (half away from zero), and one beyond 64 bits
	// is an error. Every offset past a partition's rows frames the same,
	// so a large one is clamped by the engine.
	if kind == 'f' {
		// float8 to bigint is rint: half to even; an infinity or NaN is
		// out of range.
		x, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "", t.errorAt(location(offset), "invalid input syntax for type double precision: %q", text)
		}
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", t.execErrorAt(location(offset), "bigint out of range")
		}
		text = strconv.FormatFloat(math.RoundToEven(x), 'f', -1, 64)
	}
	v, ok := new(big.Rat).SetString(text)
	if !ok || kind == 'v' {
		return "", t.errorAt(location(offset), "frame %s offset must be an integer, not %s", word, text)
	}
	r := roundHalfAway(v).Num()
	switch {
	case !r.IsInt64():
		return "", t.execErrorAt(location(offset), "bigint out of range")
	case r.Sign() < 0 && used:
		return "", t.errorAt(location(offset), "frame %s offset must not be negative", word)
	}
	return "i" + strconv.FormatInt(min(r.Int64(), math.MaxInt32), 10), nil
}

// hasColumnRef reports whether n refers to a column.
func hasColumnRef(n *pg.Node) bool {
	return findNode(n, func(m protoreflect.Message) (bool, bool) {
		_, ok := m.Interface().(*pg.ColumnRef)
		return ok, !ok
	}) != nil
}

// findNode is the first node, root or under it, that test matches (nil
// if none); test says whether a node matches and whether to look under
// it.
func findNode(root proto.Message, test func(protoreflect.Message) (match, descend bool)) protoreflect.Message {
	if root == nil || !root.ProtoReflect().IsValid() {
		return nil
	}
	var found protoreflect.Message
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if found != nil {
			return
		}
		match, descend := test(m)
		if match {
			found = m
		}
		if !descend || found != nil {
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
				return true
			}
			switch {
			case fd.IsList():
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					walk(l.Get(i).Message())
				}
			case fd.IsMap():
			default:
				walk(v.Message())
			}
			return found == nil
		})
	}
	walk(root.ProtoReflect())
	return found
}

// Named windows (SELECT ... OVER w ... WINDOW w AS (...)), resolved as
// PostgreSQL does: OVER w is the window w as defined, frame included;
// OVER (w ORDER BY ... ROWS ...) and a definition based on another one
// copy its PARTITION BY and its ORDER BY, which they may add when w has
// none, and may not copy a window that has a frame. Names belong to one
// query level: a subquery neither sees nor defines its outer query's.

// defineWindows resolves a SELECT's WINDOW clause into t.windows.
func (t *translator) defineWindows(defs []*pg.Node) error {
	t.windows = nil
	for _, n := range defs {
		d := n.GetWindowDef()
		if d == nil {
			return t.errorAt(location(n), "unexpected %s in WINDOW", nodeName(n))
		}
		if _, dup := t.windows[d.Name]; dup {
			return t.errorAt(d.Location, "window \"%s\" is already defined", d.Name)
		}
		resolved := d
		if d.Refname != "" {
			var err error
			if resolved, err = t.copyWindow(d); err != nil {
				return err
			}
		}
		if err := t.checkFrame(resolved, false); err != nil {
			return err
		}
		if t.windows == nil {
			t.windows = map[string]*pg.WindowDef{}
		}
		t.windows[d.Name] = resolved
	}
	return nil
}

// windowChecks are the SELECT's named windows for the engine, which
// resolves their columns and drops them: PostgreSQL refuses a WINDOW
// clause naming an unknown column even if no function uses it. (The
// windows the functions use are translated into their calls.) A window
// with an aggregate is left out: the engine resolves the clause over the
// rows before grouping.
func (t *translator) windowChecks() (sqlparser.Window, error) {
	names := make([]string, 0, len(t.windows))
	for name := range t.windows {
		names = append(names, name)
	}
	sort.Strings(names)
	var out sqlparser.Window
	for i, name := range names {
		w := t.windows[name]
		if slices.ContainsFunc(w.PartitionClause, hasAggregate) || slices.ContainsFunc(w.OrderClause, hasAggregate) {
			continue
		}
		def := &sqlparser.WindowDef{Name: sqlparser.NewColIdent("kdb_window_" + strconv.Itoa(i))}
		for _, p := range w.PartitionClause {
			e, err := t.expr(p)
			if err != nil {
				return nil, err
			}
			def.PartitionBy = append(def.PartitionBy, e)
		}
		if len(w.OrderClause) > 0 {
			ob, err := t.orderBy(w.OrderClause, nil, false)
			if err != nil {
				return nil, err
			}
			def.OrderBy = ob
		}
		out = append(out, def)
	}
	return out, nil
}

// resolveWindow is the window an OVER clause names or defines.
func (t *translator) resolveWindow(w *pg.WindowDef) (*pg.WindowDef, error) {
	switch {
	case w.Name != "":
		d, ok := t.windows[w.Name]
		if !ok {
			return nil, t.errorAt(w.Location, "window \"%s\" does not exist", w.Name)
		}
		return d, nil
	case w.Refname != "":
		return t.copyWindow(w)
	}
	return w, nil
}

// copyWindow is w based on the named window w.Refname.
func (t *translator) copyWindow(w *pg.WindowDef) (*pg.WindowDef, error) {
	base, ok := t.windows[w.Refname]
	switch {
	case !ok:
		return nil, t.errorAt(w.Location, "window \"%s\" does not exist", w.Refname)
	case len(w.PartitionClause) > 0:
		return nil, t.errorAt(w.Location, "cannot override PARTITION BY clause of window \"%s\"", w.Refname)
	case len(w.OrderClause) > 0 && len(base.OrderClause) > 0:
		return nil, t.errorAt(w.Location, "cannot override ORDER BY clause of window \"%s\"", w.Refname)
	case base.FrameOptions&frameOptionNonDefault != 0:
		return nil, t.errorAt(w.Location, "cannot copy window \"%s\" because it has a frame clause", w.Refname)
	}
	order := w.OrderClause
	if len(order) == 0 {
		order = base.OrderClause
	}
	return &pg.WindowDef{PartitionClause: base.PartitionClause, OrderClause: order, FrameOptions: w.FrameOptions,
		StartOffset: w.StartOffset, EndOffset: w.EndOffset, Location: w.Location}, nil
}
