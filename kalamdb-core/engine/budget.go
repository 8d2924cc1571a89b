package engine

import (
	"context"
	"encoding/json"
	"math"
	"sync/atomic"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
)

// Two bounds keep a statement's memory in check:
//
//   - every value a function builds is at most Limits.MaxValueBytes, checked
//     before the value is allocated (checkResultSize): a single call such as
//     repeat('x', 1e9) fails at once;
//   - what a statement keeps while it runs (aggregate state, rows held by
//     sorts, joins, windows and recursive CTEs) is charged to its budget of
//     Limits.StatementMemoryBytes before it is kept (hold).
//
// Values that a function builds for one row and drops again are not
// charged: they are garbage by the next row, and the time a statement may
// spend building them is bounded by its time limit instead.
//
// What a statement holds is also reserved from the server's memory account
// (Deps.Memory, see package memory), with the rows of its result: those
// are reserved for the request that will answer them (QueryRequest.Memory)
// and given back once it has, or for the statement itself when no request
// keeps them. The statement's own reservation goes back when it ends.

// memoryBudget is one statement's account of the bytes it keeps. Bytes are
// never given back: the account bounds the most a statement keeps at once
// from above. The engine may evaluate expressions from several goroutines,
// hence atomic.
type memoryBudget struct {
	limits *Limits
	used   atomic.Int64
	// server is the statement's reservation from the server's account,
	// given back when the statement ends (Engine.releaseSession).
	server memory.Charge
	// request, when set, is the reservation of the request that answers
	// the statement's result rows (QueryRequest.Memory).
	request *memory.Charge
	// resultAhead is what the result's rows reserved beyond what they
	// hold (resultWriter); the request gets it back when the statement
	// ends.
	resultAhead int64
	// folding is above zero while the planner evaluates constants it
	// keeps in the plan (chargeFolded); a count, since such a rule may
	// plan a subquery with another.
	folding atomic.Int32
}

func (b *memoryBudget) reset(l *Limits, acct *memory.Account) {
	b.limits = l
	b.used.Store(0)
	b.folding.Store(0)
	b.server.Reset(acct)
	b.request, b.resultAhead = nil, 0
}

// hold charges n bytes that fn keeps.
func (b *memoryBudget) hold(fn string, n int64) error {
	l := b.limits
	if l == nil {
		return nil
	}
	if used := b.used.Add(n); used > l.StatementMemoryBytes || used < 0 {
		return limitError("statement_memory_bytes", "%s: the statement would hold more than %s of rows and aggregate state",
			fn, memory.ByteCount(l.StatementMemoryBytes))
	}
	if !b.server.Reserve(n) {
		b.used.Add(-n)
		return b.server.Refusal()
	}
	return nil
}

// tryHold charges n bytes if the statement's budget and the server have
// room for them, and otherwise charges nothing and reports false: for an
// operator that can do without the memory rather than fail the statement.
func (b *memoryBudget) tryHold(n int64) bool {
	l := b.limits
	if l == nil {
		return true
	}
	if used := b.used.Add(n); used > l.StatementMemoryBytes || used < 0 {
		b.used.Add(-n)
		return false
	}
	if !b.server.Reserve(n) {
		b.used.Add(-n)
		return false
	}
	return true
}

// giveBack returns n bytes the statement held and dropped before its end.
func (b *memoryBudget) giveBack(n int64) {
	b.used.Add(-n)
	b.server.Give(n)
}

// resultCharge is the reservation the statement's result rows are held
// under.
func (b *memoryBudget) resultCharge() *memory.Charge {
	if b.request != nil {
		return b.request
	}
	return &b.server
}

// hold charges n bytes that fn keeps to ctx's statement.
func hold(ctx *sql.Context, fn string, n int64) error {
	if s, err := sessionOf(ctx); err == nil {
		return s.budget.hold(fn, n)
	}
	return nil
}

// release gives back n bytes charged with hold to ctx's statement and
// dropped before it ends.
func release(ctx *sql.Context, n int64) {
	if s, err := sessionOf(ctx); err == nil && s.budget.limits != nil && n > 0 {
		s.budget.giveBack(n)
	}
}

// valueLimit is the largest value ctx's statement may build.
func valueLimit(ctx *sql.Context) int64 {
	if s, err := sessionOf(ctx); err == nil && s.budget.limits != nil {
		return s.budget.limits.MaxValueBytes
	}
	return DefaultMaxValueBytes
}

// checkResultSize fails when a function is about to build a value of n
// bytes and n is over the statement's largest value. Functions compute the
// size of their result before they allocate it and call this, so a
// statement such as SELECT repeat('x', 1e9) fails at once instead of
// exhausting the server's memory. A negative n is an overflowed size.
//
// It also checks the statement's context: operators check it between rows,
// and one row may build any number of values (300 columns of
// repeat('a', 16000000) || '0' ran 8.8 s under a 2 s limit), as may one
// planner step. While the planner folds a WHERE's constants (wrapFolded),
// the value is also charged to the statement's budget: the plan keeps
// what folding builds.
func checkResultSize(ctx *sql.Context, n int64) error {
	if limit := valueLimit(ctx); n < 0 || n > limit {
		return limitError("max_value_bytes", "a function would build a value over the largest value of %s", memory.ByteCount(limit))
	}
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	default:
	}
	if s, err := sessionOf(ctx); err == nil && s.budget.folding.Load() > 0 {
		return s.budget.hold("constants of a WHERE", n)
	}
	return nil
}

// rowSize is about the memory a row's values hold.
func rowSize(row []any) int64 {
	n := int64(24 + 16*len(row))
	for _, v := range row {
		n = addSize(n, valueSize(v))
	}
	return n
}

// valueSize is about the memory one engine value holds beyond its slot.
// A JSON document is measured by its text, because documents share
// structure: json_build_array(x, x) in a recursive CTE doubles a document's
// text per step in a few bytes of memory, and printing it would not.
func valueSize(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case json.RawMessage:
		return int64(len(x))
	case types.JSONDocument:
		if n, ok := jsonSize(x.Val, DefaultMaxValueBytes); ok {
			return n
		}
		return DefaultMaxValueBytes
	case decimal.Decimal:
		// A computed numeric may have 147455 digits (v * v in a
		// recursive query): its coefficient's words are kept with it.
		return int64(len(x.Coefficient().Bits())) * 8
	}
	return 0
}

// jsonSize is about the length of the text of a JSON value, counted until
// it passes limit (ok false): the walk visits at most limit bytes' worth
// of values however much structure the document shares.
func jsonSize(v any, limit int64) (n int64, ok bool) {
	n, _, ok = measureJSON(v, limit)
	return n, ok
}

// measureJSON is jsonSize that also stops at a level nested past
// maxJSONDepth (deep true, ok false).
func measureJSON(v any, limit int64) (n int64, deep, ok bool) {
	depth := 0
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case nil:
			n += 4
		case bool:
			n += 5
		case string:
			n += jsonStringLen(x)
		case json.RawMessage:
			n += int64(len(x))
		case []any:
			if depth++; depth > maxJSONDepth {
				deep = true
				return false
			}
			n += 2
			for _, e := range x {
				n++
				if !walk(e) {
					return false
				}
			}
			depth--
		case map[string]any:
			if depth++; depth > maxJSONDepth {
				deep = true
				return false
			}
			n += 2
			for k, e := range x {
				n += jsonStringLen(k) + 2
				if !walk(e) {
					return false
				}
			}
			depth--
		case types.JSONDocument:
			return walk(x.Val)
		case sql.JSONWrapper:
			doc, err := x.ToInterface()
			if err != nil {
				n += 24
			} else if !walk(doc) {
				return false
			}
		default:
			n += 24 // numbers
		}
		return n <= limit
	}
	ok = walk(v)
	return n, deep, ok
}

// jsonStringLen is the length of s printed as a JSON string (marshalJSON:
// quoted, without HTML escaping): a control character takes six bytes
// (\u0001), a quote or backslash two. Counting its bytes instead let
// to_json of 16 MiB of control characters print 96 MiB, past the largest
// value, and build several times that on the way.
func jsonStringLen(s string) int64 {
	n := int64(2)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && w == 1) || r == '\u2028' || r == '\u2029' {
			n += 6 // \ufffd, \u2028, \u2029
		} else {
			n += int64(w)
		}
		i += w
	}
	return n
}

// checkJSONSize fails when a document a function built would print as
// more than the largest value, or nest deeper than a stored value may (a
// builder's JSON arguments are at most that deep, so the one level it
// adds is the only way past it).
func checkJSONSize(ctx *sql.Context, doc any) error {
	limit := valueLimit(ctx)
	if _, deep, ok := measureJSON(doc, limit); deep {
		return errJSONTooDeep()
	} else if !ok {
		return checkResultSize(ctx, math.MaxInt64)
	}
	return nil
}

// mulSize multiplies two sizes, saturating instead of overflowing, so that
// a product far over every limit is still seen as such.
func mulSize(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// addSize adds sizes, saturating.
func addSize(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
