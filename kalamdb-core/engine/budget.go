package engine

import (
	"math"
	"strconv"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
)

// memoryBudget is one statement's account of the bytes its functions build
// and its aggregates hold. Bytes are charged before they are allocated and
// never given back: the budget bounds the work a statement may do with
// memory as well as what it holds at once, which is what stops a small
// statement from conjuring gigabytes out of REPEAT or a cross join. The
// engine may evaluate expressions from several goroutines, hence atomic.
type memoryBudget struct {
	limits *Limits
	used   atomic.Int64
}

func (b *memoryBudget) reset(l *Limits) {
	b.limits = l
	b.used.Store(0)
}

// reserve charges n bytes that fn is about to build as one value.
func (b *memoryBudget) reserve(fn string, n int64) error {
	l := b.limits
	if l == nil {
		def := Limits{}.withDefaults()
		l = &def
	}
	if n > l.MaxValueBytes {
		return limitError("max_value_bytes", "%s would build a value of %s, over the largest value of %s",
			fn, byteCount(n), byteCount(l.MaxValueBytes))
	}
	return b.hold(fn, n)
}

// hold charges n bytes that fn keeps (an aggregate's state), without the
// single-value bound.
func (b *memoryBudget) hold(fn string, n int64) error {
	l := b.limits
	if l == nil {
		return nil
	}
	if used := b.used.Add(n); used > l.StatementMemoryBytes || used < 0 {
		return limitError("statement_memory_bytes", "%s: the statement would hold more than %s of built values and aggregate state",
			fn, byteCount(l.StatementMemoryBytes))
	}
	return nil
}

// reserve charges n bytes that fn is about to build, to the budget of the
// statement that ctx runs. A context without a KalamDB session (only in
// tests of single expressions) is held to the default value size.
func reserve(ctx *sql.Context, fn string, n int64) error {
	if s, err := sessionOf(ctx); err == nil {
		return s.budget.reserve(fn, n)
	}
	var b memoryBudget
	return b.reserve(fn, n)
}

// hold charges n bytes of aggregate state to ctx's statement.
func hold(ctx *sql.Context, fn string, n int64) error {
	if s, err := sessionOf(ctx); err == nil {
		return s.budget.hold(fn, n)
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

// byteCount formats a size for error messages.
func byteCount(n int64) string {
	const unit = 1024
	switch {
	case n >= unit*unit*unit && n%(unit*unit*unit) == 0:
		return strconv.FormatInt(n/(unit*unit*unit), 10) + " GiB"
	case n >= unit*unit && n%(unit*unit) == 0:
		return strconv.FormatInt(n/(unit*unit), 10) + " MiB"
	case n >= unit && n%unit == 0:
		return strconv.FormatInt(n/unit, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
