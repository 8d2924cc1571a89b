package engine

import (
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestLargeLiteralPrintsShort: a large text prints its size and digest,
// two values of one size print apart, and it evaluates and reads as the
// literal it plans; small values stay the engine's literals.
func TestLargeLiteralPrintsShort(t *testing.T) {
	a := strings.Repeat("a", largeLiteralBytes)
	b := a[:len(a)-1] + "b"
	la, lb := newLiteral(a, types.LongText), newLiteral(b, types.LongText)
	for _, l := range []sql.Expression{la, lb} {
		if _, ok := l.(*largeLiteral); !ok {
			t.Fatalf("%T, want *largeLiteral", l)
		}
		if s := l.String(); len(s) > 100 || !strings.Contains(s, "16384 bytes") {
			t.Errorf("prints %.200q", s)
		}
		if s := sql.DebugString(l); len(s) > 120 {
			t.Errorf("debug prints %.200q", s)
		}
	}
	if la.String() == lb.String() {
		t.Errorf("two values print alike: %s", la)
	}
	if v, err := la.Eval(sql.NewEmptyContext(), nil); err != nil || v != a {
		t.Errorf("evaluates to %.20v, %v", v, err)
	}
	if literalValue(lb) != b || !isLiteral(lb) {
		t.Errorf("does not read as its literal")
	}
	if same, err := la.WithChildren(); err != nil || same != la {
		t.Errorf("WithChildren: %v, %v", same, err)
	}
	if small := newLiteral(a[1:], types.LongText); isLarge(small) {
		t.Errorf("a value below the size is planned as large")
	}
}

func isLarge(e sql.Expression) bool {
	_, ok := e.(*largeLiteral)
	return ok
}
