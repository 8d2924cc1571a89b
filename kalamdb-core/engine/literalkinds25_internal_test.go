package engine

import (
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestEveryLiteralKindIsConstant: each kind of literal the engine plans
// (GMS's, a largeLiteral, a zoneLiteral either way) is a constant to
// every place that asks, through asLiteral: the group scan counts rows
// for COUNT of it, the text and range planners take it as a constant
// operand, and a comparison evaluated on its operands' values keeps it.
// The zoneLiterals failed all of these before: the places listed the
// first two kinds by hand.
func TestEveryLiteralKindIsConstant(t *testing.T) {
	zone, err := coerceTimestampText(expression.NewLiteral("2024-01-01 03:00:00+02", types.LongText))
	if err != nil {
		t.Fatal(err)
	}
	z, ok := zone.(*zoneLiteral)
	if !ok {
		t.Fatalf("coerceTimestampText: %T, want *zoneLiteral", zone)
	}
	zoned := &zoneLiteral{Literal: expression.NewLiteral(z.instant, z.Type()), instant: z.instant, zoned: true}
	kinds := map[string]sql.Expression{
		"literal": expression.NewLiteral(int64(7), types.Int64),
		"large":   newLiteral(strings.Repeat("a", largeLiteralBytes), types.LongText),
		"zone":    z,
		"zoned":   zoned,
	}
	if _, ok := kinds["large"].(*largeLiteral); !ok {
		t.Fatalf("large: %T", kinds["large"])
	}
	for name, e := range kinds {
		if !isConstant(e) {
			t.Errorf("%s: isConstant false", name)
		}
		v, ok := constantValue(e)
		if lit, _ := asLiteral(e); !ok || v != lit.Value() {
			t.Errorf("%s: constantValue %v %v", name, v, ok)
		}
		if !constantOperand(e) {
			t.Errorf("%s: constantOperand false", name)
		}
		if !cheapOperand(e) {
			t.Errorf("%s: cheapOperand false", name)
		}
		if got := operandValue(e, 0); got != e {
			t.Errorf("%s: operandValue %T, want the literal", name, got)
		}
		s, ok := (&groupScan{}).selected(aggregation.NewCount(e))
		if !ok || s.op != gsCountRows {
			t.Errorf("%s: COUNT of it: op %v %v, want the row count", name, s.op, ok)
		}
	}
	// COUNT(NULL) counts nothing: the engine's GROUP BY answers it.
	if _, ok := (&groupScan{}).selected(aggregation.NewCount(expression.NewLiteral(nil, types.Null))); ok {
		t.Error("COUNT(NULL) taken by the group scan")
	}
}
