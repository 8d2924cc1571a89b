package pgsql

import (
	"math"
	"math/big"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// Window frames. KalamDB runs PostgreSQL's ROWS frames with any bounds
// (offsets as integer constants) and its RANGE frames bounded by
// UNBOUNDED PRECEDING, CURRENT ROW (the row and its peers) and UNBOUNDED
// FOLLOWING, for aggregates. A RANGE offset (a distance in the ORDER BY
// key's values), GROUPS frames and EXCLUDE are refused as UNSUPPORTED
// rather than run with the engine's frames, which count peers by the
// first ORDER BY key only. The engine computes every frame itself
// (kalamdb-core/engine/windowframe.go); the translation only carries the
// bounds.

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
	frameOptionExclusion               = 0x08000 | 0x10000 | 0x20000
	frameOptionOffsets                 = frameOptionStartOffsetPreceding | frameOptionEndOffsetPreceding |
		frameOptionStartOffsetFollowing | frameOptionEndOffsetFollowing
)

// windowFrame translates w's explicit frame, or returns nil for the
// default one. Only aggregates take a frame here.
func (t *translator) windowFrame(w *pg.WindowDef, name string, spec fnSpec) (*sqlparser.Frame, error) {
	opts := w.FrameOptions
	if opts&frameOptionNonDefault == 0 {
		return nil, nil
	}
	switch {
	case spec.kind == window && (name == "first_value" || name == "last_value"):
		return nil, t.unsupported(w.Location, "a window frame for %s() is not supported; frames apply to aggregates", name)
	case spec.kind == window:
		// Ranking functions, lag and lead ignore the frame, as in
		// PostgreSQL, which still checks it: the parser did its shape,
		// and a ROWS or GROUPS offset must be a bigint, not negative.
		return nil, t.checkIgnoredFrame(w)
	case opts&frameOptionGroups != 0:
		return nil, t.unsupported(w.Location, "GROUPS frames are not supported; use ROWS or RANGE")
	case opts&frameOptionExclusion != 0:
		return nil, t.unsupported(w.Location, "EXCLUDE in a window frame is not supported")
	case opts&frameOptionRange != 0 && opts&frameOptionOffsets != 0:
		return nil, t.unsupported(w.Location, "RANGE with an offset PRECEDING or FOLLOWING is not supported; use ROWS, or RANGE with UNBOUNDED and CURRENT ROW")
	}
	f := &sqlparser.Frame{Unit: sqlparser.RangeUnit, Extent: &sqlparser.FrameExtent{}}
	if opts&frameOptionRows != 0 {
		f.Unit = sqlparser.RowsUnit
	}
	var err error
	if f.Extent.Start, err = t.frameBound(opts, w.StartOffset, true); err != nil {
		return nil, err
	}
	if f.Extent.End, err = t.frameBound(opts, w.EndOffset, false); err != nil {
		return nil, err
	}
	return f, nil
}

// frameBound translates the frame's start or end. The parser has already
// refused impossible frames (a start of UNBOUNDED FOLLOWING, a frame
// starting at the current row with preceding rows, ...).
func (t *translator) frameBound(opts int32, offset *pg.Node, start bool) (*sqlparser.FrameBound, error) {
	bits := [5]int32{frameOptionStartUnboundedPreceding, frameOptionStartCurrentRow, frameOptionStartOffsetPreceding, frameOptionStartOffsetFollowing, 0}
	word := "starting"
	if !start {
		bits = [5]int32{0, frameOptionEndCurrentRow, frameOptionEndOffsetPreceding, frameOptionEndOffsetFollowing, frameOptionEndUnboundedFollowing}
		word = "ending"
	}
	switch {
	case bits[0] != 0 && opts&bits[0] != 0:
		return &sqlparser.FrameBound{Type: sqlparser.UnboundedPreceding}, nil
	case bits[4] != 0 && opts&bits[4] != 0:
		return &sqlparser.FrameBound{Type: sqlparser.UnboundedFollowing}, nil
	case opts&bits[1] != 0:
		return &sqlparser.FrameBound{Type: sqlparser.CurrentRow}, nil
	}
	c := offset.GetAConst()
	var n int64
	switch {
	case c != nil && c.Isnull:
		return nil, t.errorAt(location(offset), "frame %s offset must not be null", word)
	case c != nil && c.GetIval() != nil:
		n = int64(c.GetIval().GetIval())
	case c != nil && c.GetFval() != nil:
		// PostgreSQL casts the offset to bigint: a numeric constant is
		// rounded (half away from zero), and one beyond 64 bits is an
		// error. Every offset past a partition's rows frames the same, so
		// a large one is clamped below.
		v, ok := new(big.Rat).SetString(c.GetFval().GetFval())
		if !ok {
			return nil, t.errorAt(location(offset), "frame %s offset must be an integer, not %s", word, c.GetFval().GetFval())
		}
		r := roundHalfAway(v).Num()
		if !r.IsInt64() {
			return nil, t.errorAt(location(offset), "bigint out of range")
		}
		n = r.Int64()
	default:
		return nil, t.unsupported(location(offset), "a frame offset must be an integer constant")
	}
	if n < 0 {
		return nil, t.errorAt(location(offset), "frame %s offset must not be negative", word)
	}
	typ := sqlparser.ExprPreceding
	if opts&bits[3] != 0 {
		typ = sqlparser.ExprFollowing
	}
	return &sqlparser.FrameBound{Type: typ, Expr: IntLiteral(min(n, math.MaxInt32))}, nil
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
		if t.windows == nil {
			t.windows = map[string]*pg.WindowDef{}
		}
		t.windows[d.Name] = resolved
	}
	return nil
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

// checkIgnoredFrame refuses the constant offsets PostgreSQL refuses in a
// frame that a window function then ignores.
func (t *translator) checkIgnoredFrame(w *pg.WindowDef) error {
	if w.FrameOptions&(frameOptionRows|frameOptionGroups) == 0 {
		return nil
	}
	for i, off := range []*pg.Node{w.StartOffset, w.EndOffset} {
		if off.GetAConst() == nil {
			continue
		}
		if _, err := t.frameBound(w.FrameOptions, off, i == 0); err != nil {
			return err
		}
	}
	return nil
}
