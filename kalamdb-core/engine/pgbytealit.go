package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// An untyped literal (or text parameter) meeting a BYTES (bytea) column is
// read with bytea's input rules in PostgreSQL: '\x00ff' is the two bytes
// 00 ff, as when INSERT writes it. The engine's planner converts a string
// literal compared with a column to the column's type when both are
// strings to it, and a BYTES column's type is a blob: the literal became
// the bytes of its text (\x00ff, six bytes) before the type-checking rule
// could read it as bytea, so bt = '\x00ff' missed the row written with
// that text and a range on a BYTES primary key started at the wrong key.
// byteaLiterals reads such a converted literal again as bytea input. The
// literal it makes is typed BLOB or MEDIUMBLOB, never the column's
// LONGBLOB, so a plan checked twice is not read twice.

// byteaLiterals rereads the literals the planner converted to a BYTES
// column's type in n's comparisons (subqueries included).
func byteaLiterals(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch e.(type) {
		case *plan.Subquery:
			sq := e.(*plan.Subquery)
			q, same, err := byteaLiterals(sq.Query)
			if err != nil || same {
				return e, transform.SameTree, err
			}
			return sq.WithQuery(q), transform.NewTree, nil
		case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
			*expression.GreaterThan, *expression.GreaterThanOrEqual:
		default:
			return e, transform.SameTree, nil
		}
		ops := e.Children()
		col, c, swapped, ok := columnOperand(ops)
		if !ok || familyOf(col) != famBytes {
			return e, transform.SameTree, nil
		}
		lit, ok := asLiteral(c)
		if !ok || lit.Type() != types.LongBlob || !types.TypesEqual(col.Type(), types.LongBlob) {
			return e, transform.SameTree, nil
		}
		text, ok := lit.Value().([]byte)
		if !ok {
			return e, transform.SameTree, nil
		}
		b, ok := parseBytea(string(text))
		if !ok {
			return nil, transform.SameTree, apierror.New(apierror.InvalidInput, "invalid input syntax for type bytes: %q", string(text))
		}
		t := types.Blob
		if len(b) > int(types.Blob.MaxByteLength()) {
			t = types.MediumBlob
		}
		out := []sql.Expression{col, newLiteral(b, t)}
		if swapped {
			out[0], out[1] = out[1], out[0]
		}
		n, err := e.WithChildren(out...)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return n, transform.NewTree, nil
	})
}
