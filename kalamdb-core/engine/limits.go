package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Default resource limits of a statement (see Limits).
const (
	DefaultStatementTimeout       = 30 * time.Second
	DefaultMaxValueBytes          = 16 << 20
	DefaultStatementMemoryBytes   = 256 << 20
	DefaultMaxExpressionDepth     = pgsql.DefaultMaxExpressionDepth
	DefaultMaxStatementComplexity = pgsql.DefaultMaxStatementComplexity
)

// Limits bound the time and memory one statement may take, so that no
// statement from any role can make the server unresponsive. Zero fields
// take the defaults above.
type Limits struct {
	// Timeout is the time limit of a statement, by role.
	Timeout Timeouts
	// MaxValueBytes bounds every string, binary or JSON value that a
	// function builds; the size is checked before anything is allocated.
	MaxValueBytes int64
	// StatementMemoryBytes bounds the bytes one statement's functions build
	// and its aggregates hold, added up over the whole statement.
	StatementMemoryBytes int64
	// MaxExpressionDepth and MaxStatementComplexity bound what the engine
	// is asked to parse and plan (see pgsql.Limits); planning time grows
	// with depth times size, and planning cannot be interrupted.
	MaxExpressionDepth     int
	MaxStatementComplexity int64
	// MaxStatementTargetEntries bounds the entries of all of a statement's
	// select and RETURNING lists together (boundTargetLists); 0 takes
	// DefaultMaxStatementTargetEntries.
	MaxStatementTargetEntries int64
	// OrderIndexBudget, when positive, replaces the number of entries a
	// top-N read through the index in its sort's order examines before
	// it switches to an index that binds the WHERE's other conditions
	// (see indexfallback.go): the server's limits.order_index_budget;
	// tests set it low to exercise the switch.
	OrderIndexBudget int
}

// Timeouts is a time limit per role; a zero role entry takes Default.
type Timeouts struct {
	Default                    time.Duration
	User, Service, DBA, System time.Duration
}

// For returns the time limit of a role.
func (t Timeouts) For(role systable.Role) time.Duration {
	var d time.Duration
	switch role {
	case systable.RoleUser:
		d = t.User
	case systable.RoleService:
		d = t.Service
	case systable.RoleDBA:
		d = t.DBA
	case systable.RoleSystem:
		d = t.System
	}
	if d <= 0 {
		d = t.Default
	}
	if d <= 0 {
		d = DefaultStatementTimeout
	}
	return d
}

func (l Limits) withDefaults() Limits {
	if l.Timeout.Default <= 0 {
		l.Timeout.Default = DefaultStatementTimeout
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = DefaultMaxValueBytes
	}
	if l.StatementMemoryBytes <= 0 {
		l.StatementMemoryBytes = DefaultStatementMemoryBytes
	}
	if l.MaxExpressionDepth <= 0 {
		l.MaxExpressionDepth = DefaultMaxExpressionDepth
	}
	if l.MaxStatementComplexity <= 0 {
		l.MaxStatementComplexity = DefaultMaxStatementComplexity
	}
	if l.MaxStatementTargetEntries <= 0 {
		l.MaxStatementTargetEntries = DefaultMaxStatementTargetEntries
	}
	return l
}

// StatementTimeout is the time limit of a statement run by role.
func (e *Engine) StatementTimeout(role systable.Role) time.Duration {
	return e.limits.Timeout.For(role)
}

// WithTimeout bounds ctx by d; when the bound is what ends the work, every
// statement running under the context fails with QUERY_TIMEOUT. Front ends
// use it to give a whole request the time limit of its caller.
//
// A context that already ends no later than d from now is returned as it
// is: a statement of a request runs under the request's bound, and a
// second timer that can never fire first would only cost its setup
// (with the cause's message, a few µs of every statement).
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if end, ok := ctx.Deadline(); ok && !end.After(time.Now().Add(d)) {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, d, timeoutCauseOf(d))
}

// timeoutCause is the cause WithTimeout last gave a context: its message
// was three allocations and a duration's formatting on every request.
// One entry, not a map: a limit of each role is all a server uses, and a
// map keyed by durations would grow with every limit ever set.
// StoppedError hands out copies, as callers may change the error they
// get.
var timeoutCause atomic.Pointer[timeoutCauseEntry]

type timeoutCauseEntry struct {
	d   time.Duration
	err *apierror.Error
}

func timeoutCauseOf(d time.Duration) *apierror.Error {
	if c := timeoutCause.Load(); c != nil && c.d == d {
		return c.err
	}
	c := &timeoutCauseEntry{d: d, err: &apierror.Error{Code: apierror.QueryTimeout,
		Message: "statement cancelled: it ran longer than the time limit of " + d.String() + " (statement_timeout)"}}
	timeoutCause.Store(c)
	return c.err
}

// StoppedError is the error of work whose context ended: the context's
// cause when it is an API error (a timeout, a server shutting down), else
// the cancellation itself (the client went away), so a front end can tell
// the cases apart. ok is false while ctx is still live.
func StoppedError(ctx context.Context) (err error, ok bool) {
	if ctx.Err() == nil {
		return nil, false
	}
	cause := context.Cause(ctx)
	if e, isAPI := apierror.As(cause); isAPI {
		// A copy: the cause may be shared by other contexts
		// (timeoutCauseOf), and the error's receivers may change it.
		c := *e
		return &c, true
	}
	if errors.Is(cause, context.DeadlineExceeded) {
		return apierror.Wrap(apierror.QueryTimeout, cause, "statement cancelled: its deadline passed"), true
	}
	return fmt.Errorf("statement cancelled: %w", cause), true
}

// ResultTooLarge is the error of an answer over the request's
// max_result_bytes, whoever builds the answer: the engine for a query's
// rows, the executor for the ones it builds itself (SHOW, DESCRIBE), so a
// client sees one message for one limit.
func ResultTooLarge(maxBytes int64) *apierror.Error {
	return limitError("max_result_bytes", "the result is larger than %s; add a LIMIT, select fewer columns or a narrower WHERE",
		memory.ByteCount(maxBytes))
}

// limitError is the RESOURCE_LIMIT_EXCEEDED error of a configured limit;
// setting names the limit so an operator knows what to raise.
func limitError(setting, format string, args ...any) *apierror.Error {
	return apierror.New(apierror.ResourceLimitExceeded, "%s (limit: %s)", fmt.Sprintf(format, args...), setting)
}

// wireSize is about the size of a wire-encoded value (row.WireValue) in
// the JSON answer, for the result size bound.
func wireSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 4
	case string:
		return int64(len(x)) + 2
	case json.RawMessage:
		return int64(len(x))
	case []byte:
		return int64(len(x))*4/3 + 4
	case bool:
		return 5
	}
	return 24 // numbers
}
