package engine

import (
	"encoding/binary"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// The rows of an IN (subquery), hashed by what PostgreSQL compares: x IN
// (rows) is x = r for some row r, so a value is found exactly when = finds
// it. The engine hashed the values' printed forms after converting x to
// the column's type, which lost matches (0.100000000000000001::numeric =
// 0.1::float8 compares as float8 and holds; -0 = 0 holds; NaN = NaN holds
// in PostgreSQL) and took a row of NULLs as equal to a row of NULLs.

// inKeyKind is the type one position of an IN (subquery) compares in.
type inKeyKind uint8

const (
	keyInt     inKeyKind = iota + 1 // BIGINT and narrower
	keyFloat                        // a float with any number: compared as float8
	keyDecimal                      // a DECIMAL with an integer or a DECIMAL
	keyText                         // text, UUIDs (their text), bytes
	keyBool
	keyTime     // DATE and TIMESTAMP: an instant
	keyTimespan // TIME
)

// inKeyKindOf is the kind x of family l compared with a column of family
// c is hashed as, or false when KalamDB does not hash that pair (the
// engine's comparison is kept).
func inKeyKindOf(l, c family) (inKeyKind, bool) {
	if l == famNull {
		l = c
	}
	if c == famNull {
		c = l
	}
	switch {
	case l == famNull:
		return keyInt, true // only NULLs on both sides: never hashed
	case l.numeric() && c.numeric():
		switch {
		case l == famFloat || c == famFloat:
			return keyFloat, true
		case l == famNumeric || c == famNumeric:
			return keyDecimal, true
		}
		return keyInt, true
	case (l == famDate || l == famTimestamp) && (c == famDate || c == famTimestamp):
		return keyTime, true
	case l != c:
		return 0, false
	}
	switch l {
	case famText, famUUID, famBytes:
		return keyText, true
	case famBool:
		return keyBool, true
	case famTime:
		return keyTimespan, true
	}
	return 0, false
}

// appendInKey appends v's key in kind k to b: equal values (as PostgreSQL
// compares them in k) have equal keys. Every part starts with its kind
// and, when variable, its length, so a row's parts never run together.
func appendInKey(b []byte, k inKeyKind, v any) ([]byte, error) {
	b = append(b, byte(k))
	switch k {
	case keyInt:
		if n, ok := toInt64(v); ok {
			return binary.BigEndian.AppendUint64(b, uint64(n)), nil
		}
		if d, ok := toDecimal(v); ok { // an unsigned value beyond BIGINT
			return appendInText(append(b[:len(b)-1], byte(keyDecimal)), d.String()), nil
		}
	case keyFloat:
		if f, ok := toFloat64(v); ok {
			// floatOrder: -0 is 0, every NaN one NaN.
			return binary.BigEndian.AppendUint64(b, uint64(floatOrder(f))), nil
		}
	case keyDecimal:
		if d, ok := toDecimal(v); ok {
			return appendInText(b, d.String()), nil // 2, 2.00 and 2.0 are "2"
		}
	case keyText:
		switch x := v.(type) {
		case string:
			return appendInText(b, x), nil
		case []byte:
			return appendInText(b, string(x)), nil
		default:
			if s, ok := x.(interface{ String() string }); ok {
				return appendInText(b, s.String()), nil
			}
		}
	case keyBool:
		if x, ok := toBool(v); ok {
			if x {
				return append(b, 1), nil
			}
			return append(b, 0), nil
		}
	case keyTime:
		if t, ok := toTime(v); ok {
			b = binary.BigEndian.AppendUint64(b, uint64(t.Unix()))
			return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond())), nil
		}
	case keyTimespan:
		if t, ok := v.(types.Timespan); ok {
			return binary.BigEndian.AppendUint64(b, uint64(t)), nil
		}
	}
	return nil, execError("IN (subquery): a value compared as %s is of another type", k)
}

// String names the SQL type a kind compares in, for messages.
func (k inKeyKind) String() string {
	switch k {
	case keyInt:
		return "BIGINT"
	case keyFloat:
		return "DOUBLE"
	case keyDecimal:
		return "DECIMAL"
	case keyText:
		return "TEXT"
	case keyBool:
		return "BOOLEAN"
	case keyTime:
		return "DATE or TIMESTAMP"
	case keyTimespan:
		return "TIME"
	}
	return "an unknown type"
}

func appendInText(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// inEntryOverhead is about what a key costs in a Go map besides its bytes.
const inEntryOverhead = 64

// inRows is the rows of one evaluation of an IN (subquery), grouped by
// which of their values are NULL (a mask of the non-NULL positions).
// PostgreSQL's row comparison x = r is false when a pair of non-NULL values
// differs, else NULL when a value is NULL, else true; so x IN (rows) is
// true when a row without NULLs has x's key, else NULL when some row is
// equal to x on the positions where both are non-NULL, else false. For
// each mask present the keys of the rows on a set of positions are hashed
// when first needed: the positions where x is not NULL. A probe costs a
// hash lookup per mask present, at most 2^k for k columns (two for IN
// over a single column) whatever the number of rows; a long one checks
// the statement's context.
type inRows struct {
	kinds  []inKeyKind
	rows   []any // as the subquery gives them: a value, or []any for several columns
	all    uint64
	masks  []uint64
	byMask map[uint64][]int

	mu    sync.Mutex
	keys  map[[2]uint64]map[string]struct{} // by mask and positions
	build int                               // key sets built (tests)
	held  heldBytes                         // given back by a transient evaluation
}

// newInRows groups rows (k values each) by their NULLs.
func newInRows(kinds []inKeyKind, rows []any) (*inRows, error) {
	r := &inRows{kinds: kinds, rows: rows, all: 1<<len(kinds) - 1, byMask: map[uint64][]int{},
		keys: map[[2]uint64]map[string]struct{}{}, held: heldBytes{transient: true}}
	for i, row := range rows {
		vals, err := r.values(row)
		if err != nil {
			return nil, err
		}
		m := r.mask(vals)
		if _, ok := r.byMask[m]; !ok {
			r.masks = append(r.masks, m)
		}
		r.byMask[m] = append(r.byMask[m], i)
	}
	return r, nil
}

// values is a subquery row's or a left operand's values.
func (r *inRows) values(v any) ([]any, error) {
	if len(r.kinds) == 1 {
		return []any{v}, nil
	}
	vals, ok := v.([]any)
	if !ok || len(vals) != len(r.kinds) {
		return nil, sql.ErrInvalidOperandColumns.New(len(r.kinds), 1)
	}
	return vals, nil
}

func (r *inRows) mask(vals []any) uint64 {
	var m uint64
	for i, v := range vals {
		if v != nil {
			m |= 1 << i
		}
	}
	return m
}

// key is the key of vals on the positions of pos.
func (r *inRows) key(vals []any, pos uint64) (string, error) {
	var b []byte
	for i, v := range vals {
		if pos&(1<<i) == 0 {
			continue
		}
		var err error
		if b, err = appendInKey(b, r.kinds[i], v); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// keySet is the keys of the rows of mask m on the positions pos (a subset
// of m), hashed on first use and charged to the statement.
func (r *inRows) keySet(ctx *sql.Context, m, pos uint64) (map[string]struct{}, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.keys[[2]uint64{m, pos}]; ok {
		return s, nil
	}
	rows := r.byMask[m]
	s := make(map[string]struct{}, len(rows))
	var n int64
	for _, i := range rows {
		vals, err := r.values(r.rows[i])
		if err != nil {
			return nil, err
		}
		k, err := r.key(vals, pos)
		if err != nil {
			return nil, err
		}
		if _, dup := s[k]; !dup {
			s[k] = struct{}{}
			n += int64(len(k)) + inEntryOverhead
		}
	}
	if err := hold(ctx, "IN (subquery)", n); err != nil {
		return nil, err
	}
	r.held.add(n)
	r.build++
	r.keys[[2]uint64{m, pos}] = s
	return s, nil
}

// in is x IN (rows) for the left operand's value x.
func (r *inRows) in(ctx *sql.Context, x any) (any, error) {
	if len(r.kinds) > 1 && x == nil {
		x = make([]any, len(r.kinds))
	}
	vals, err := r.values(x)
	if err != nil {
		return nil, err
	}
	q := r.mask(vals)
	if q == r.all {
		if found, err := r.has(ctx, vals, r.all, r.all); err != nil || found {
			return found, err
		}
	}
	for i, m := range r.masks {
		if m == r.all && q == r.all {
			continue // looked up above
		}
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if found, err := r.has(ctx, vals, m, m&q); err != nil || found {
			return nil, err
		}
	}
	return false, nil
}

// has reports whether a row of mask m has the key of vals on pos.
func (r *inRows) has(ctx *sql.Context, vals []any, m, pos uint64) (bool, error) {
	if _, ok := r.byMask[m]; !ok {
		return false, nil
	}
	s, err := r.keySet(ctx, m, pos)
	if err != nil {
		return false, err
	}
	k, err := r.key(vals, pos)
	if err != nil {
		return false, err
	}
	_, ok := s[k]
	return ok, nil
}

// inRowsCache keeps the hashed rows of a subquery whose result the engine
// caches: the statement reads and hashes them once.
type inRowsCache struct {
	mu   sync.Mutex
	rows *inRows
}

// rowInList is (x, y) IN ((a, b), (c, d), ...): the OR of the row
// equalities (x, y) = (a, b), as PostgreSQL defines it, so a pair holding
// a NULL is never equal, only NULL. The engine compared the rows as
// tuples with NULL equal to NULL. The rows are hashed (inRows): once for
// the statement when every value is a constant, else for each row.
type rowInList struct {
	kinds    []inKeyKind
	args     []sql.Expression // the left row's values, then each row's
	constant bool
	cache    *inRowsCache
}

var _ sql.Expression = (*rowInList)(nil)

func newRowInList(kinds []inKeyKind, args []sql.Expression) *rowInList {
	constant := true
	for _, a := range args[len(kinds):] {
		constant = constant && isConstant(a)
	}
	return &rowInList{kinds: kinds, args: args, constant: constant, cache: &inRowsCache{}}
}

func (l *rowInList) Resolved() bool             { return expression.Tuple(l.args).Resolved() }
func (l *rowInList) Type() sql.Type             { return types.Boolean }
func (l *rowInList) IsNullable() bool           { return true }
func (l *rowInList) Children() []sql.Expression { return l.args }

func (l *rowInList) String() string {
	k := len(l.kinds)
	rows := make([]string, 0, len(l.args)/k-1)
	for i := k; i < len(l.args); i += k {
		rows = append(rows, expression.Tuple(l.args[i:i+k]).String())
	}
	return expression.Tuple(l.args[:k]).String() + " IN (" + strings.Join(rows, ", ") + ")"
}

func (l *rowInList) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(l.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), len(l.args))
	}
	return newRowInList(l.kinds, children), nil
}

func (l *rowInList) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	k := len(l.kinds)
	eval := func(es []sql.Expression) ([]any, error) {
		out := make([]any, len(es))
		for i, e := range es {
			v, err := e.Eval(ctx, row)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	left, err := eval(l.args[:k])
	if err != nil {
		return nil, err
	}
	build := func() (*inRows, error) {
		var rows []any
		for i := k; i < len(l.args); i += k {
			r, err := eval(l.args[i : i+k])
			if err != nil {
				return nil, err
			}
			rows = append(rows, r)
		}
		return newInRows(l.kinds, rows)
	}
	if !l.constant {
		r, err := build()
		if err != nil {
			return nil, err
		}
		defer r.held.giveBack(ctx)
		return r.in(ctx, left)
	}
	c := l.cache
	c.mu.Lock()
	if c.rows == nil {
		if c.rows, err = build(); err != nil {
			c.mu.Unlock()
			return nil, err
		}
	}
	r := c.rows
	c.mu.Unlock()
	return r.in(ctx, left)
}

// rowIn makes (x, y) IN ((a, b), ...) a rowInList when every position
// compares in one kind inRows hashes, else the OR of its row equalities.
func rowIn(left expression.Tuple, rows expression.Tuple) (sql.Expression, bool, error) {
	k := len(left)
	if k < 2 || k > maxInColumns {
		return nil, false, nil
	}
	args := append([]sql.Expression(nil), left...)
	for _, r := range rows {
		t, ok := r.(expression.Tuple)
		if !ok {
			return nil, false, nil // a mismatch is the engine's to report
		}
		if len(t) != k {
			return nil, false, sqlError("unequal number of entries in row expressions")
		}
		args = append(args, t...)
	}
	kinds := make([]inKeyKind, k)
	for i := range left {
		lf := familyOf(left[i])
		for j := k + i; j < len(args); j += k {
			if err := comparable(args[j], lf, "="); err != nil {
				return nil, false, err
			}
			kind, ok := inKeyKindOf(lf, familyOf(args[j]))
			if !ok || (kinds[i] != 0 && kind != kinds[i]) {
				kinds = nil
				break
			}
			kinds[i] = kind
		}
		if kinds == nil {
			break
		}
	}
	if kinds != nil {
		return newRowInList(kinds, args), true, nil
	}
	eqs := make([]sql.Expression, len(rows))
	for i, r := range rows {
		eq, _, err := rowEquality(expression.NewEquals(left, r))
		if err != nil {
			return nil, false, err
		}
		eqs[i] = eq
	}
	return expression.JoinOr(eqs...), true, nil
}
