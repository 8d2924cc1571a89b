package engine

import (
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// Constant SELECTs. A SELECT of literals alone (SELECT 1, SELECT 'ok' AS
// status), which clients and load balancers send as a liveness probe, has
// one answer whoever runs it, whatever the data, the time or the
// transaction: it reads nothing and calls nothing. Planning it costs
// ~70 µs of go-mysql-server's binder and analyser, ten times the HTTP
// layer's own work. So the first run of a cached statement of that shape
// is planned and run as usual, its answer is kept with the statement, and
// later runs return a copy of it.
//
// Invariants:
//   - only literals are accepted (no function, no operator, no parameter,
//     no FROM, no clause that could change the row count), so the kept
//     answer is exactly what planning again would give;
//   - only a successful answer within maxConstantBytes is kept, and it is
//     returned only when it fits the request's row and byte limits;
//     otherwise the statement is planned and fails as it would have;
//   - the kept answer is never handed out itself: callers get their own
//     row slices.

// maxConstantBytes bounds the answer kept per cached statement, so the
// plan cache's byte bound (which counts the statement's text) stays about
// right: a literal's value is about as large as its text.
const maxConstantBytes = 4 << 10

// constantSelect reports whether stmt is a SELECT of literals only.
func constantSelect(stmt sqlparser.Statement) bool {
	s, ok := stmt.(*sqlparser.Select)
	if !ok || s.With != nil || s.Into != nil || s.Lock != "" || len(s.From) > 0 || s.Where != nil ||
		len(s.GroupBy) > 0 || s.Having != nil || len(s.Window) > 0 || len(s.OrderBy) > 0 || s.Limit != nil ||
		s.QueryOpts != (sqlparser.QueryOpts{}) || len(s.SelectExprs) == 0 {
		return false
	}
	for _, se := range s.SelectExprs {
		ae, ok := se.(*sqlparser.AliasedExpr)
		if !ok {
			return false
		}
		if !plainLiteral(ae.Expr) {
			return false
		}
	}
	return true
}

// plainLiteral reports whether e is a literal as the PostgreSQL front
// end writes one: a constant (not a parameter), or an integer constant
// typed by kdb_int.
func plainLiteral(e sqlparser.Expr) bool {
	if _, ok := pgsql.UnwrapInt(e); ok {
		return true
	}
	switch v := e.(type) {
	case *sqlparser.SQLVal:
		return v.Type != sqlparser.ValArg
	case sqlparser.BoolVal, *sqlparser.NullVal:
		return true
	}
	return false
}

// keptConstant returns a copy of cs's kept answer when there is one and it
// fits maxRows and maxBytes (0: no bound).
func (e *Engine) keptConstant(cs *cachedStatement, maxRows int, maxBytes int64) (*QueryResult, bool) {
	if !cs.constant || e.noFastPath {
		return nil, false
	}
	kept := cs.answer.Load()
	if kept == nil || (maxRows > 0 && len(kept.Rows) > maxRows) || (maxBytes > 0 && kept.Bytes > maxBytes) {
		return nil, false
	}
	return copyResult(kept), true
}

// keepConstant keeps res as cs's answer when cs is a constant SELECT.
func (e *Engine) keepConstant(cs *cachedStatement, res *QueryResult) {
	if !cs.constant || e.noFastPath || res == nil || res.Bytes > maxConstantBytes || cs.answer.Load() != nil {
		return
	}
	cs.answer.Store(copyResult(res))
}

// copyResult copies r's row slices (the values themselves are immutable
// wire values).
func copyResult(r *QueryResult) *QueryResult {
	c := *r
	c.Columns = append([]ResultColumn(nil), r.Columns...)
	c.Rows = make([][]any, len(r.Rows))
	for i, row := range r.Rows {
		c.Rows[i] = append([]any(nil), row...)
	}
	return &c
}
