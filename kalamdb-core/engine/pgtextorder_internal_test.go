package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/iters"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestTextOrderCompareIsCodePointOrder: kdb_text_order's comparison is
// the engine's text comparison (code points, through its collation) for
// every valid text, and strings.Compare's: random texts of one- to
// four-byte characters, empty ones, long shared prefixes, NULLs.
func TestTextOrderCompareIsCodePointOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 18))
	alphabet := []rune("aAzZ0 ~éßλΩ中😀\u007f\u0080\u07ff\u0800\uffff\U0010ffff")
	text := func() string {
		var sb strings.Builder
		if r.IntN(3) == 0 {
			sb.WriteString(strings.Repeat("é", textCheckBytes/2+r.IntN(3))) // past a check
		}
		for k := r.IntN(5); k > 0; k-- {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	ctx := sql.NewEmptyContext()
	var key textOrderType
	for i := 0; i < 3000; i++ {
		a, b := text(), text()
		if i%7 == 0 {
			b = a
		}
		got, err := key.Compare(ctx, a, b)
		if err != nil {
			t.Fatal(err)
		}
		old, err := types.LongText.Compare(ctx, a, b)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Compare(a, b); got != want || old != want {
			t.Fatalf("%.20q vs %.20q: %d, engine %d, bytes %d", a, b, got, old, want)
		}
	}
	for _, c := range []struct {
		a, b any
		want int
	}{{nil, nil, 0}, {nil, "", 1}, {"", nil, -1}, {[]byte("b"), "a", 1}} { // NULLs as the engine's types order them
		if got, err := key.Compare(ctx, c.a, c.b); err != nil || got != c.want {
			t.Errorf("%v vs %v: %d %v, want %d", c.a, c.b, got, err, c.want)
		}
	}
}

// TestTextOrderStopsWithItsStatement: the engine's sort and top-N never
// look at the context; with their text keys in kdb_text_order they stop
// with the statement's error once it has ended (here a time limit
// already reached), and a comparison of texts sharing a long prefix
// stops between two chunks. Without a context (or a nil one) the
// comparison compares.
func TestTextOrderStopsWithItsStatement(t *testing.T) {
	timeout := &apierror.Error{Code: apierror.QueryTimeout, Message: "statement cancelled: it ran longer than the time limit of 1s (statement_timeout)"}
	base, cancel := context.WithCancelCause(context.Background())
	ctx := sql.NewContext(base)
	long := strings.Repeat("x", 3*textCheckBytes)
	var rows []sql.Row
	for i := 0; i < 50; i++ {
		rows = append(rows, sql.NewRow(int64(i), long+string(rune('a'+i%26))))
	}
	key, err := textOrderKey([]sql.Expression{expression.NewGetField(1, types.LongText, "body", true)})
	if err != nil {
		t.Fatal(err)
	}
	fields := sql.SortFields{{Column: key, Order: sql.Descending}}
	sortAll := func() ([]sql.Row, error) {
		it := iters.NewSortIter(fields, sql.RowsToRowIter(rows...))
		return sql.RowIterToRows(ctx, it)
	}
	topN := func() ([]sql.Row, error) {
		it := iters.NewTopRowsIter(fields, 3, false, sql.RowsToRowIter(rows...), 2)
		return sql.RowIterToRows(ctx, it)
	}
	got, err := sortAll()
	if err != nil || len(got) != 50 || got[0][1].(string)[len(long):] != "z" || got[49][1].(string)[len(long):] != "a" {
		t.Fatalf("live sort: %d rows, %v", len(got), err)
	}
	if got, err := topN(); err != nil || len(got) != 3 || got[0][1].(string)[len(long):] != "z" {
		t.Fatalf("live top-N: %d rows, %v", len(got), err)
	}
	cancel(timeout)
	for name, run := range map[string]func() ([]sql.Row, error){"sort": sortAll, "top-N": topN} {
		if _, err := run(); apierror.CodeOf(err) != apierror.QueryTimeout {
			t.Errorf("%s after the time limit: %v, want QUERY_TIMEOUT", name, err)
		}
	}
	// Inside one comparison: the first chunks are equal, the check
	// between them sees the end.
	if _, err := compareTextChecked(ctx, long+"a", long+"b"); !errors.Is(err, timeout) {
		t.Errorf("a long comparison after the end: %v", err)
	}
	if c, err := compareTextChecked(ctx, "a"+long, "b"+long); err != nil || c != -1 {
		t.Errorf("a comparison decided in its first chunk: %d, %v", c, err)
	}
	var none *sql.Context
	for _, c := range []context.Context{nil, none, context.Background()} {
		if got, err := (textOrderType{}).Compare(c, long+"b", long+"a"); err != nil || got != 1 {
			t.Fatalf("context %#v: %d, %v", c, got, err)
		}
	}
}

// BenchmarkTextOrderCompare is one comparison of two short texts that
// differ in their last byte, the engine's against kdb_text_order's.
func BenchmarkTextOrderCompare(b *testing.B) {
	ctx := sql.NewContext(context.Background())
	x, y := "message 1234 with some typical chat text", "message 1234 with some typical chat texu"
	b.Run("engine", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if c, _ := types.LongText.Compare(ctx, x, y); c != -1 {
				b.Fatal(c)
			}
		}
	})
	b.Run("kdb_text_order", func(b *testing.B) {
		var key textOrderType
		for i := 0; i < b.N; i++ {
			if c, _ := key.Compare(ctx, x, y); c != -1 {
				b.Fatal(c)
			}
		}
	})
}
