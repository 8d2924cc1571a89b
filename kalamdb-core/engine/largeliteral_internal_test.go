package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
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

// TestLargeLiteralPrintsWholeDigest: a large literal names its value by
// its whole SHA-256 digest: the engine takes two expressions that print
// alike for one, and 64 bits of a digest can be matched by a crafted
// second value.
func TestLargeLiteralPrintsWholeDigest(t *testing.T) {
	v := strings.Repeat("d", largeLiteralBytes+3)
	sum := sha256.Sum256([]byte(v))
	for _, l := range []sql.Expression{newLiteral(v, types.LongText), newLiteral([]byte(v), types.LongBlob)} {
		if s := l.String(); !strings.Contains(s, hex.EncodeToString(sum[:])) {
			t.Errorf("%s lacks the whole digest %x", s, sum)
		}
	}
}

// TestLargeLiteralJSONPrintsShort: a JSON document read from a large text
// (a parameter typed by a JSON column) prints as the text it was read
// from, under its own name, not the whole document.
func TestLargeLiteralJSONPrintsShort(t *testing.T) {
	text := `"` + strings.Repeat("j", largeLiteralBytes) + `"`
	src := newLiteral(text, types.LongText)
	lit, err := coerce(src, dialect.DataType{Name: dialect.TypeJSON})
	if err != nil {
		t.Fatal(err)
	}
	s := lit.String()
	if len(s) > 120 || !strings.Contains(s, "json") || s == src.String() {
		t.Errorf("prints %.200q (its text %s)", s, src)
	}
	if again, err := coerce(lit, dialect.DataType{Name: dialect.TypeJSON}); err != nil || again.String() != s {
		t.Errorf("typed as JSON again: %.200v, %v", again, err)
	}
	v, err := lit.Eval(sql.NewEmptyContext(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc, ok := v.(types.JSONDocument); !ok || doc.Val != strings.Repeat("j", largeLiteralBytes) {
		t.Errorf("evaluates to %T", v)
	}
}
