package engine

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"
)

// PostgreSQL's window frames, computed row by row over a sorted
// partition: ROWS, RANGE and GROUPS units, bounds UNBOUNDED, CURRENT ROW
// (with RANGE and GROUPS: the row's peer group) and n PRECEDING or
// FOLLOWING (with RANGE: a distance in the one ORDER BY key's values, as
// PostgreSQL's in_range functions measure it), and EXCLUDE. Each bound
// only moves forward as the rows do, so a partition's frames cost O(n)
// comparisons in all (frameCursor).

// frameUnit is a frame's unit: ROWS, RANGE or GROUPS.
type frameUnit uint8

const (
	unitRows frameUnit = iota
	unitRange
	unitGroups
)

// frameEdge is one end of a frame.
type frameEdge uint8

const (
	edgeUnbounded frameEdge = iota // UNBOUNDED PRECEDING or FOLLOWING
	edgeCurrent                    // CURRENT ROW: with RANGE or GROUPS, the row's peers too
	edgePreceding                  // n PRECEDING
	edgeFollowing                  // n FOLLOWING
)

// frameExclude is a frame's EXCLUDE option.
type frameExclude uint8

const (
	excludeNoOthers frameExclude = iota
	excludeCurrentRow
	excludeGroup
	excludeTies
)

// frameSpec is a frame.
type frameSpec struct {
	unit         frameUnit
	start, end   frameEdge
	startN, endN int // ROWS and GROUPS offsets
	// RANGE offsets, as the translator wrote them (kind i integer, n
	// numeric, f float, v interval, then the constant's text), and their
	// values once read for the ORDER BY key's type.
	startText, endText string
	startOff, endOff   rangeOffset
	exclude            frameExclude
	// badOffset: a RANGE offset is negative (or NaN), which fails once
	// the window has a row to frame, as in PostgreSQL.
	badOffset bool
}

// defaultFrameSpec is PostgreSQL's default frame: RANGE BETWEEN
// UNBOUNDED PRECEDING AND CURRENT ROW, which without ORDER BY is the
// whole partition (every row is a peer of every other).
var defaultFrameSpec = frameSpec{unit: unitRange, start: edgeUnbounded, end: edgeCurrent}

// parseFrameSpec reads the frame option of an aggregate's options: four
// letters (unit r, R or g; start and end u, c, p or f; exclusion n, c, g
// or t).
func parseFrameSpec(s string) (*frameSpec, error) {
	if len(s) != 4 {
		return nil, sqlError("malformed window frame %q", s)
	}
	f := &frameSpec{}
	units := map[byte]frameUnit{'r': unitRows, 'R': unitRange, 'g': unitGroups}
	edges := map[byte]frameEdge{'u': edgeUnbounded, 'c': edgeCurrent, 'p': edgePreceding, 'f': edgeFollowing}
	excl := map[byte]frameExclude{'n': excludeNoOthers, 'c': excludeCurrentRow, 'g': excludeGroup, 't': excludeTies}
	var ok [4]bool
	f.unit, ok[0] = units[s[0]]
	f.start, ok[1] = edges[s[1]]
	f.end, ok[2] = edges[s[2]]
	f.exclude, ok[3] = excl[s[3]]
	if !ok[0] || !ok[1] || !ok[2] || !ok[3] {
		return nil, sqlError("malformed window frame %q", s)
	}
	return f, nil
}

// setOffset reads the offset text of the frame's start or end.
func (f *frameSpec) setOffset(start bool, text string) error {
	if start {
		f.startText = text
	} else {
		f.endText = text
	}
	if f.unit == unitRange {
		return nil // read for the key's type by resolve
	}
	if len(text) < 2 || text[0] != 'i' {
		return sqlError("malformed frame offset %q", text)
	}
	n, err := strconv.ParseInt(text[1:], 10, 64)
	if err != nil || n < 0 {
		return sqlError("malformed frame offset %q", text)
	}
	if start {
		f.startN = int(min(n, math.MaxInt32))
	} else {
		f.endN = int(min(n, math.MaxInt32))
	}
	return nil
}

// offsets is how many offsets the frame has.
func (f *frameSpec) offsets() int {
	n := 0
	for _, e := range []frameEdge{f.start, f.end} {
		if e == edgePreceding || e == edgeFollowing {
			n++
		}
	}
	return n
}

// rangeOffset is a RANGE offset's value, in the ORDER BY key's family.
type rangeOffset struct {
	fam family
	i   int64
	f   float64
	d   decimal.Decimal
	iv  interval
}

// resolve reads a RANGE frame's offsets for its ORDER BY key, with the
// key types and offset types PostgreSQL's in_range functions take.
func (f *frameSpec) resolve(orderBy sql.SortFields) error {
	if f.unit != unitRange || f.offsets() == 0 {
		return nil
	}
	if len(orderBy) != 1 {
		return sqlError("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
	}
	key := underFloatOrder(orderBy[0].Column)
	var err error
	bad := [2]bool{}
	if f.start == edgePreceding || f.start == edgeFollowing {
		if f.startOff, bad[0], err = readRangeOffset(key, f.startText); err != nil {
			return err
		}
	}
	if f.end == edgePreceding || f.end == edgeFollowing {
		f.endOff, bad[1], err = readRangeOffset(key, f.endText)
	}
	f.badOffset = bad[0] || bad[1]
	return err
}

// errFrameSize is PostgreSQL's error for a negative RANGE offset.
func errFrameSize() error {
	return execError("invalid preceding or following size in window function")
}

// readRangeOffset reads a RANGE offset for a key; bad reports a negative
// (or NaN) one.
func readRangeOffset(key sql.Expression, text string) (o rangeOffset, bad bool, err error) {
	if text == "" {
		return rangeOffset{}, false, sqlError("malformed frame offset")
	}
	kind, v := text[0], text[1:]
	fam := familyOf(key)
	names := map[byte]string{'i': "integer", 'n': "numeric", 'f': "double precision", 'v': "interval", 'u': "unknown"}
	unsupported := func() (rangeOffset, bool, error) {
		return rangeOffset{}, false, sqlError("RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset type %s; cast the offset value to an appropriate type",
			typeName(key), names[kind])
	}
	invalid := func() (rangeOffset, bool, error) {
		return rangeOffset{}, true, nil
	}
	if kind == 'u' {
		// A quoted literal (RANGE '1 day' PRECEDING): PostgreSQL reads it
		// as the key's offset type.
		switch fam {
		case famInt:
			if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return rangeOffset{}, false, sqlError("invalid input syntax for type %s: %q", pgIntName(key), v)
			}
			kind = 'i'
		case famNumeric:
			kind = 'n'
		case famFloat:
			kind = 'f'
		case famDate, famTimestamp:
			kind = 'v'
		}
	}
	o = rangeOffset{fam: fam}
	switch fam {
	case famInt:
		if kind != 'i' {
			return unsupported()
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return rangeOffset{}, false, execError("bigint out of range")
		}
		o.i = n
		if n < 0 {
			return invalid()
		}
	case famNumeric:
		if kind != 'i' && kind != 'n' {
			return unsupported()
		}
		d, err := decimal.NewFromString(v)
		if err != nil || d.Sign() < 0 {
			return invalid()
		}
		o.d = d
	case famFloat:
		if kind == 'v' {
			return unsupported()
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil && !strings.Contains(err.Error(), "range") || math.IsNaN(x) || x < 0 {
			return invalid()
		}
		o.f = x
	case famDate, famTimestamp:
		if kind != 'v' {
			return unsupported()
		}
		iv, err := parseInterval(v)
		if err != nil {
			return rangeOffset{}, false, err
		}
		const day = 86_400_000_000
		// PostgreSQL compares intervals with 30-day months.
		if float64(iv.months)*30*day+float64(iv.days)*day+float64(iv.micros) < 0 {
			return invalid()
		}
		o.iv = iv
	default:
		return rangeOffset{}, false, sqlError("RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", typeName(key))
	}
	return o, false, nil
}

// inRange is PostgreSQL's in_range(val, base, offset, sub, less): whether
// val <= base -/+ offset (less) or val >= base -/+ offset (not less), as
// its in_range functions compute it for each type: a sum beyond a type's
// range is beyond every value, NaN is above every float and equal to
// itself.
func inRange(val, base any, o rangeOffset, sub, less bool) (bool, error) {
	cmp := func(c int) bool {
		if less {
			return c <= 0
		}
		return c >= 0
	}
	switch o.fam {
	case famInt:
		v, _ := toInt64(val)
		b, _ := toInt64(base)
		off := o.i
		if sub {
			off = -off
		}
		sum, err := intOp("+", b, off)
		if err != nil {
			// The true sum is beyond every value: below them when
			// subtracting.
			if sub {
				return !less, nil
			}
			return less, nil
		}
		return cmp(cmpInt(v, sum)), nil
	case famNumeric:
		v, _ := toDecimal(val)
		b, _ := toDecimal(base)
		sum := b.Add(o.d)
		if sub {
			sum = b.Sub(o.d)
		}
		return cmp(v.Cmp(sum)), nil
	case famFloat:
		v, _ := toFloat64(val)
		b, _ := toFloat64(base)
		switch {
		case math.IsNaN(v) && math.IsNaN(b):
			return true, nil
		case math.IsNaN(v):
			return !less, nil
		case math.IsNaN(b):
			return less, nil
		case math.IsInf(o.f, 0) && math.IsInf(b, 0) && (sub && b > 0 || !sub && b < 0):
			// base -/+ offset would be NaN: an infinite base is in range
			// of itself.
			return true, nil
		}
		sum := b + o.f
		if sub {
			sum = b - o.f
		}
		if less {
			return v <= sum, nil
		}
		return v >= sum, nil
	default: // dates and timestamps
		v, ok1 := val.(time.Time)
		b, ok2 := base.(time.Time)
		if !ok1 || !ok2 {
			return false, execError("RANGE with an interval offset: an ORDER BY value is not a %s", o.fam)
		}
		sign := int64(1)
		if sub {
			sign = -1
		}
		sum, err := addInterval(b, o.iv, sign)
		if err != nil {
			return false, err
		}
		return cmp(v.Compare(sum)), nil
	}
}

// frame is one row's frame: base, the rows between its bounds, less the
// rows EXCLUDE takes out, which leaves segs.
type frame struct {
	base sql.WindowInterval
	segs [3]sql.WindowInterval
	n    int
}

// frameCursor computes the frames of one partition's rows, in order.
type frameCursor struct {
	spec    *frameSpec
	orderBy []sql.Expression
	// RANGE offsets: the ORDER BY key's value, its direction and where
	// its NULLs sort.
	key             sql.Expression
	asc, nullsFirst bool
	part            sql.WindowInterval
	// groups are the starts of the partition's peer groups, then its
	// end; g is the current row's group. nil when no frame needs them.
	groups     []int
	g          int
	head, tail int
	held       heldBytes
}

func newFrameCursor(spec *frameSpec, orderBy sql.SortFields) *frameCursor {
	c := &frameCursor{spec: spec, orderBy: orderBy.ToExpressions(), held: heldBytes{transient: true}}
	if len(orderBy) > 0 {
		c.key = underFloatOrder(orderBy[0].Column)
		c.asc = orderBy[0].Order == sql.Ascending
		c.nullsFirst = (orderBy[0].NullOrdering == sql.NullsFirst) == c.asc
	}
	return c
}

// reset starts partition part.
func (c *frameCursor) reset(ctx *sql.Context, part sql.WindowInterval) {
	c.held.giveBack(ctx)
	c.part, c.groups, c.g = part, nil, 0
	c.head, c.tail = part.Start, part.Start
}

// needsGroups reports whether the frames need the rows' peer groups.
func (c *frameCursor) needsGroups() bool {
	s := c.spec
	return len(c.orderBy) > 0 && (s.unit == unitGroups || s.exclude >= excludeGroup ||
		s.unit == unitRange && (s.start == edgeCurrent || s.end == edgeCurrent))
}

// peers is row i's peer group.
func (c *frameCursor) peers(ctx *sql.Context, buf sql.WindowBuffer, i int) (sql.WindowInterval, error) {
	if len(c.orderBy) == 0 {
		return c.part, nil
	}
	if !c.needsGroups() {
		return sql.WindowInterval{Start: i, End: i + 1}, nil
	}
	if c.groups == nil {
		groups := []int{c.part.Start}
		for j := c.part.Start + 1; j < c.part.End; j++ {
			same, err := samePeers(ctx, c.orderBy, buf[groups[len(groups)-1]], buf[j])
			if err != nil {
				return sql.WindowInterval{}, err
			}
			if !same {
				groups = append(groups, j)
			}
		}
		groups = append(groups, c.part.End)
		if err := hold(ctx, "peer groups of a window frame", int64(8*len(groups))); err != nil {
			return sql.WindowInterval{}, err
		}
		c.held.add(int64(8 * len(groups)))
		c.groups = groups
	}
	for c.groups[c.g+1] <= i {
		c.g++
	}
	return sql.WindowInterval{Start: c.groups[c.g], End: c.groups[c.g+1]}, nil
}

// group is the bound of group g+d: its start, or (end) its end, with
// groups beyond the partition's at its ends.
func (c *frameCursor) group(d int, end bool) int {
	k := c.g + d
	if end {
		k++
	}
	last := len(c.groups) - 1
	switch {
	case k <= 0:
		return c.part.Start
	case k >= last:
		return c.part.End
	}
	return c.groups[k]
}

// frameAt is row i's frame; rows are framed in order.
func (c *frameCursor) frameAt(ctx *sql.Context, buf sql.WindowBuffer, i int) (frame, error) {
	s := c.spec
	peers, err := c.peers(ctx, buf, i)
	if err != nil {
		return frame{}, err
	}
	start, end := c.part.Start, c.part.End
	switch s.start {
	case edgeCurrent:
		start = peers.Start
		if s.unit == unitRows {
			start = i
		}
	case edgePreceding, edgeFollowing:
		n := s.startN
		if s.start == edgePreceding {
			n = -n
		}
		switch s.unit {
		case unitRows:
			start = i + n
		case unitGroups:
			start = c.group(n, false)
		default:
			if start, err = c.rangeHead(ctx, buf, i); err != nil {
				return frame{}, err
			}
		}
	}
	switch s.end {
	case edgeCurrent:
		end = peers.End
		if s.unit == unitRows {
			end = i + 1
		}
	case edgePreceding, edgeFollowing:
		n := s.endN
		if s.end == edgePreceding {
			n = -n
		}
		switch s.unit {
		case unitRows:
			end = i + n + 1
		case unitGroups:
			end = c.group(n, true)
		default:
			if end, err = c.rangeTail(ctx, buf, i); err != nil {
				return frame{}, err
			}
		}
	}
	start = max(c.part.Start, min(start, c.part.End))
	end = max(start, min(end, c.part.End))
	fr := frame{base: sql.WindowInterval{Start: start, End: end}}
	var holes []sql.WindowInterval
	switch s.exclude {
	case excludeCurrentRow:
		holes = []sql.WindowInterval{{Start: i, End: i + 1}}
	case excludeGroup:
		holes = []sql.WindowInterval{peers}
	case excludeTies:
		holes = []sql.WindowInterval{{Start: peers.Start, End: i}, {Start: i + 1, End: peers.End}}
	}
	at := start
	for _, h := range holes {
		if h.End <= at || h.Start >= end || h.Start >= h.End {
			continue
		}
		if h.Start > at {
			fr.segs[fr.n] = sql.WindowInterval{Start: at, End: h.Start}
			fr.n++
		}
		at = max(at, h.End)
	}
	if at < end {
		fr.segs[fr.n] = sql.WindowInterval{Start: at, End: end}
		fr.n++
	}
	return fr, nil
}

// keyAt is the RANGE key's value in row j.
func (c *frameCursor) keyAt(ctx *sql.Context, buf sql.WindowBuffer, j int) (any, error) {
	return c.key.Eval(ctx, buf[j])
}

// rangeHead moves the frame's start to row i's first row in range, as
// PostgreSQL's update_frameheadpos does: NULL keys are in range of each
// other only.
func (c *frameCursor) rangeHead(ctx *sql.Context, buf sql.WindowBuffer, i int) (int, error) {
	sub, less := c.spec.start == edgePreceding, false
	if !c.asc {
		sub, less = !sub, true
	}
	cur, err := c.keyAt(ctx, buf, i)
	if err != nil {
		return 0, err
	}
	for ; c.head < c.part.End; c.head++ {
		v, err := c.keyAt(ctx, buf, c.head)
		if err != nil {
			return 0, err
		}
		if v == nil || cur == nil {
			if c.nullsFirst && (v != nil || cur == nil) || !c.nullsFirst && (v == nil || cur != nil) {
				break
			}
			continue
		}
		ok, err := inRange(v, cur, c.spec.startOff, sub, less)
		if err != nil {
			return 0, err
		}
		if ok {
			break
		}
	}
	return c.head, nil
}

// rangeTail moves the frame's end past row i's last row in range, as
// PostgreSQL's update_frametailpos does.
func (c *frameCursor) rangeTail(ctx *sql.Context, buf sql.WindowBuffer, i int) (int, error) {
	sub, less := c.spec.end == edgePreceding, true
	if !c.asc {
		sub, less = !sub, false
	}
	cur, err := c.keyAt(ctx, buf, i)
	if err != nil {
		return 0, err
	}
	for ; c.tail < c.part.End; c.tail++ {
		v, err := c.keyAt(ctx, buf, c.tail)
		if err != nil {
			return 0, err
		}
		if v == nil || cur == nil {
			if c.nullsFirst && v != nil || !c.nullsFirst && cur != nil {
				break
			}
			continue
		}
		ok, err := inRange(v, cur, c.spec.endOff, sub, less)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
	}
	return c.tail, nil
}

// pgIntName is PostgreSQL's name of an integer key's type, for its input
// syntax error.
func pgIntName(key sql.Expression) string {
	switch intWidth(key.Type()) {
	case 16:
		return "smallint"
	case 64:
		return "bigint"
	}
	return "integer"
}
