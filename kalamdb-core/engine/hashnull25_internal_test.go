package engine

import (
	"fmt"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestNullFreeHashJoinOnlyWhereEqualityRejects: nullFreeHashJoin marks a
// key column only where an = among the condition's top-level conjuncts
// has it as an operand (wrapped by nullComparisons or not, read through
// kdb_hash_key or not), and only in inner and LEFT hash joins: not for IS
// NOT DISTINCT FROM, an OR, a computed key, nor NOT IN's anti join by
// hash (LeftOuterHashExcludeNulls), which must see NULL keys to answer
// NULL. A FULL JOIN's side is marked only when it is hashReadOnce's,
// which keeps the NULL-keyed rows apart for the join's last read.
func TestNullFreeHashJoinOnlyWhereEqualityRejects(t *testing.T) {
	col := func(table, name string, id, index int) *expression.GetField {
		gf := expression.NewGetFieldWithTable(id, id/10, types.Int64, "", table, name, true)
		return gf.WithIndex(index).(*expression.GetField)
	}
	// The condition reads the joined row; the keys each side's own row.
	ak, at, bk, bt := col("a", "k", 11, 0), col("a", "t", 12, 1), col("b", "k", 21, 2), col("b", "t", 22, 3)
	pk, pt, ek, et := ak.WithIndex(0), at.WithIndex(1), bk.WithIndex(0), bt.WithIndex(1)
	eq := func(l, r sql.Expression) sql.Expression { return expression.NewEquals(l, r) }
	wrapped := func(e sql.Expression) sql.Expression {
		w, _, err := nullChecked(e)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	add := expression.NewPlus(ak, expression.NewLiteral(int64(1), types.Int64))
	schema := sql.Schema{{Name: "k", Type: types.Int64, Nullable: true}, {Name: "t", Type: types.Int64, Nullable: true}}
	for _, c := range []struct {
		name         string
		op           plan.JoinType
		cond         sql.Expression
		entry, probe []sql.Expression
		full         bool   // the side is hashReadOnce's, of a FULL JOIN
		want         string // the marked positions, "" for none
	}{
		{"inner =", plan.JoinTypeHash, eq(ak, bk), []sql.Expression{ek}, []sql.Expression{pk}, false, "&{[0] [0]}"},
		{"LEFT = wrapped", plan.JoinTypeLeftOuterHash, wrapped(eq(bk, ak)), []sql.Expression{ek}, []sql.Expression{pk}, false, "&{[0] [0]}"},
		{"two keys", plan.JoinTypeHash, expression.NewAnd(eq(ak, bk), eq(bt, at)), []sql.Expression{ek, et}, []sql.Expression{pk, pt}, false, "&{[0 1] [0 1]}"},
		{"kdb_hash_key", plan.JoinTypeHash, eq(ak, bk), []sql.Expression{hashKey(ek)}, []sql.Expression{hashKey(pk)}, false, "&{[0] [0]}"},
		{"computed probe", plan.JoinTypeLeftOuterHash, eq(add, bk), []sql.Expression{ek}, []sql.Expression{expression.NewPlus(pk, expression.NewLiteral(int64(1), types.Int64))}, false, "&{[0] []}"},
		{"IS NOT DISTINCT FROM", plan.JoinTypeHash, expression.NewNullSafeEquals(ak, bk), []sql.Expression{ek}, []sql.Expression{pk}, false, ""},
		{"one key of two", plan.JoinTypeHash, expression.NewAnd(expression.NewNullSafeEquals(ak, bk), eq(at, bt)), []sql.Expression{ek, et}, []sql.Expression{pk, pt}, false, "&{[1] [1]}"},
		{"OR", plan.JoinTypeHash, expression.NewOr(eq(ak, bk), eq(at, bt)), []sql.Expression{ek}, []sql.Expression{pk}, false, ""},
		{"NOT IN's anti join", plan.JoinTypeLeftOuterHashExcludeNulls, eq(ak, bk), []sql.Expression{ek}, []sql.Expression{pk}, false, ""},
		{"FULL, hashReadOnce's", plan.JoinTypeFullOuter, eq(ak, bk), []sql.Expression{ek}, []sql.Expression{pk}, true, "&{[0] [0]}"},
		{"FULL, another lookup", plan.JoinTypeFullOuter, eq(ak, bk), []sql.Expression{ek}, []sql.Expression{pk}, false, ""},
	} {
		var side sql.Node = plan.NewEmptyTableWithSchema(schema)
		if c.full {
			side = &hashedSide{child: side, state: &hashedState{}, full: true}
		}
		lookup := plan.NewHashLookup(side, expression.Tuple(c.entry), expression.Tuple(c.probe), c.op)
		j := plan.NewJoin(plan.NewEmptyTableWithSchema(schema), lookup, c.op, c.cond)
		out, _, err := nullFreeHashJoin(j)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ""
		switch side := out.(*plan.JoinNode).Right().(*plan.HashLookup).Child.(type) {
		case *nullFreeSide:
			got = fmt.Sprint(&side.nulls)
		case *hashedSide:
			if side.nulls != nil {
				got = fmt.Sprint(side.nulls)
			}
			if !side.full {
				t.Errorf("%s: the side is no longer a FULL JOIN's", c.name)
			}
		}
		if got != c.want {
			t.Errorf("%s: marked %q, want %q", c.name, got, c.want)
		}
	}
}
