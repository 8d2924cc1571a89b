package engine

import (
	"context"
	"strconv"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// parse turns a statement into the engine's syntax tree, refusing what the
// engine must not plan or run: a statement too deep or too large to plan
// (checked on the tokens, before the engine's parser and its recursive
// walks see it), and conversions that would build values over the largest
// value. The REGEXP operators are rewritten to KalamDB's linear-time
// function on the way.
func (e *Engine) parse(ctx context.Context, es dialect.EngineStatement) (sqlparser.Statement, error) {
	if err := checkComplexity(es.Text, &e.limits); err != nil {
		return nil, err
	}
	parsed, _, err := sqlparser.ParseOneWithOptions(ctx, es.Text, sqlparser.ParserOptions{AnsiQuotes: true})
	if err != nil {
		return nil, syntaxError(err, es)
	}
	if err := e.rewriteTree(parsed); err != nil {
		return nil, err
	}
	return parsed, nil
}

// rewriteTree applies KalamDB's rewrites and checks to a parsed statement.
// Its depth is bounded by checkComplexity, so the recursive walk is safe.
func (e *Engine) rewriteTree(stmt sqlparser.Statement) error {
	return sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *sqlparser.ComparisonExpr:
			rewriteRegexpOperators(n)
		case *sqlparser.ConvertType:
			// CAST(x AS BINARY(n)) pads its result to n bytes.
			if n != nil && n.Length != nil {
				if length, err := strconv.ParseInt(string(n.Length.Val), 10, 64); err == nil && length > e.limits.MaxValueBytes {
					return false, limitError("max_value_bytes", "CAST to %s(%d) would build values over the largest value of %s",
						n.Type, length, byteCount(e.limits.MaxValueBytes))
				}
			}
		}
		return true, nil
	}, stmt)
}
