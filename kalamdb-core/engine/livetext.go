package engine

import (
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// conditionText prints a parsed condition as SQL text that both the dialect
// parser and the engine read back as the same condition, so a live query's
// WHERE can be composed into its initial-data queries. It is the engine's
// own printer except for string literals: the engine escapes a quote as \',
// which the dialect refuses as ambiguous (API.md strings double the quote),
// so quotes are written doubled; every other byte is escaped as before.
func conditionText(e sqlparser.Expr) string {
	buf := sqlparser.NewTrackedBuffer(func(buf *sqlparser.TrackedBuffer, node sqlparser.SQLNode) {
		v, ok := node.(*sqlparser.SQLVal)
		if !ok || v.Type != sqlparser.StrVal {
			node.Format(buf)
			return
		}
		out := make([]byte, 0, len(v.Val)+2)
		out = append(out, '\'')
		for _, ch := range v.Val {
			switch enc := sqltypes.SQLEncodeMap[ch]; {
			case ch == '\'':
				out = append(out, '\'', '\'')
			case enc == sqltypes.DontEscape:
				out = append(out, ch)
			default:
				out = append(out, '\\', enc)
			}
		}
		buf.Write(append(out, '\''))
	})
	buf.Myprintf("%v", e)
	return buf.String()
}
