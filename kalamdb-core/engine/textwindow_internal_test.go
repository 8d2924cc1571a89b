package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestWindowKeyComparisonsStopWithTheirStatement: a window's ORDER BY
// and PARTITION BY keys are evaluated at every comparison of the
// window's sort, and the window looks at the context only before each
// evaluation (stopKey): a key holding comparisons of texts, a < b,
// a IN (b, b), a IN ($1, $2), CASE WHEN a > 'x' ..., must compare them
// through kdb_text_order, so that one evaluation under an ended context
// fails with the context's cause instead of finishing. An IN list of
// constants was left to the engine's collation (parameters of 16 MiB,
// about ten minutes an evaluation for a list of 1,000).
func TestWindowKeyComparisonsStopWithTheirStatement(t *testing.T) {
	a := expression.NewGetField(0, types.LongText, "a", true)
	b := expression.NewGetField(1, types.LongText, "b", true)
	long := strings.Repeat("x", 3*textCheckBytes)
	less := expression.NewLessThan(a, b)
	in := expression.NewInTuple(a, expression.NewTuple(b, b))
	// A list of constants: parameters of 16 MiB, say.
	inConst := expression.NewInTuple(a, expression.NewTuple(expression.NewLiteral(long+"b", types.LongText), expression.NewLiteral(long+"c", types.LongText)))
	caseKey := expression.NewCase(nil, []expression.CaseBranch{{
		Cond:  expression.NewGreaterThan(a, expression.NewLiteral("x", types.LongText)),
		Value: expression.NewLiteral("p", types.LongText),
	}}, expression.NewLiteral("q", types.LongText))
	def := sql.NewWindowDefinition([]sql.Expression{in, inConst},
		sql.SortFields{{Column: less, Order: sql.Ascending}, {Column: caseKey, Order: sql.Descending}}, nil, "", "")
	fn := window.NewRowNumber().(sql.WindowAdaptableExpression).WithWindow(def)
	w := plan.NewWindow([]sql.Expression{fn}, plan.NewEmptyTableWithSchema(sql.Schema{
		{Name: "a", Type: types.LongText, Nullable: true}, {Name: "b", Type: types.LongText, Nullable: true},
	}))

	out, same, err := textSortKeys(sql.NewEmptyContext(), nil, w, nil, nil, nil)
	if err != nil || same {
		t.Fatalf("textSortKeys: same %v, %v", same, err)
	}
	got := out.(*plan.Window).SelectExprs[0].(sql.WindowAdaptableExpression).Window()
	if len(got.PartitionBy) != 2 || len(got.OrderBy) != 2 {
		t.Fatalf("window keys: %s", got)
	}
	keys := []sql.Expression{got.PartitionBy[0], got.PartitionBy[1], got.OrderBy[0].Column, got.OrderBy[1].Column}
	// The IN lists: their left operand; a < b: both; the CASE: its
	// comparison's two operands and the (text) key itself.
	for i, want := range []int{1, 1, 2, 3} {
		if n := strings.Count(keys[i].String(), "kdb_text_order"); n != want {
			t.Errorf("key %s: %d kdb_text_order, want %d", keys[i], n, want)
		}
	}
	// The rule leaves its own output as it is (the post-analyze batch
	// repeats it until nothing changes).
	if _, same, err := textSortKeys(sql.NewEmptyContext(), nil, out, nil, nil, nil); err != nil || !same {
		t.Errorf("a second run changed the plan: same %v, %v", same, err)
	}

	row := sql.NewRow(long+"a", long+"b")
	live := sql.NewContext(context.Background())
	for i, want := range []any{false, false, true, "p"} {
		if v, err := keys[i].Eval(live, row); err != nil || v != want {
			t.Errorf("key %s on a live statement: %v, %v; want %v", keys[i], v, err, want)
		}
	}
	timeout := &apierror.Error{Code: apierror.QueryTimeout, Message: "statement cancelled: it ran longer than the time limit of 1s (statement_timeout)"}
	base, cancel := context.WithCancelCause(context.Background())
	cancel(timeout)
	ended := sql.NewContext(base)
	for _, k := range keys {
		if v, err := k.Eval(ended, row); apierror.CodeOf(err) != apierror.QueryTimeout {
			t.Errorf("key %s after the statement ended: %v, %v; want QUERY_TIMEOUT", k, v, err)
		}
	}
}

// TestTextRuleRunsOncePerPath: textSortKeys is in the engine's global
// once-after-all list, for the short rule lists of INSERT ... VALUES and
// single-table UPDATE and DELETE, which run nothing else of KalamDB's
// after analysis. The full path's analyzer has it as a post-analyze rule
// and must not run it a second time after all its rules.
func TestTextRuleRunsOncePerPath(t *testing.T) {
	inShort := 0
	for _, r := range analyzer.OnceAfterAll {
		if r.Id == textOrderRuleID {
			inShort++
		}
	}
	if inShort != 1 {
		t.Errorf("the short rule lists run textSortKeys %d times, want once", inShort)
	}
	var batches []string
	for _, b := range newAnalyzer(&Provider{}).Batches {
		for _, r := range b.Rules {
			if r.Id == textOrderRuleID {
				batches = append(batches, b.Desc)
			}
		}
	}
	if strings.Join(batches, ",") != "post-analyzer" {
		t.Errorf("the full path runs textSortKeys in %v, want only post-analyzer", batches)
	}
}

// TestOrderedAggregateSortStopsWithItsStatement: string_agg(x, ','
// ORDER BY k) and array_agg(x ORDER BY k) sort the rows they kept when
// they compute their value, a sort that looked at nothing: many rows
// with long keys sharing a prefix sorted on after the statement had
// ended. It now fails with the context's cause, and still sorts texts by
// their bytes (NULLs where the ORDER BY puts them) while the statement
// is live.
func TestOrderedAggregateSortStopsWithItsStatement(t *testing.T) {
	long := strings.Repeat("é", textCheckBytes)
	lit := func(v any) sql.Expression { return expression.NewLiteral(v, types.LongText) }
	x := expression.NewGetField(0, types.LongText, "x", true)
	k := expression.NewGetField(1, types.LongText, "k", true)
	aggs := map[string][]sql.Expression{
		"string_agg": {lit("string_agg;order=df"), x, lit(","), k},
		"array_agg":  {lit("array_agg;order=df"), x, k},
	}
	keys := []any{long + "b", nil, long + "Z", long + "c", "a", long + "é", long + "b"}
	const rows = 300
	fill := func(ctx *sql.Context, agg sql.Expression) sql.AggregationBuffer {
		buf, err := agg.(*pgAgg).NewBuffer()
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if err := buf.Update(ctx, sql.NewRow(string(rune('0'+i%len(keys))), keys[i%len(keys)])); err != nil {
				t.Fatal(err)
			}
		}
		return buf
	}
	// DESC NULLS FIRST by the keys' bytes (é is 0xC3 0xA9, above c, b
	// and Z; the short key a last), rows of equal keys in their order.
	order := []int{1, 5, 3, 0, 2, 4}
	var want []string
	for _, o := range order {
		for i := range rows {
			if i%len(keys) == o || (o == 0 && i%len(keys) == 6) {
				want = append(want, string(rune('0'+i%len(keys))))
			}
		}
	}
	live := sql.NewContext(context.Background())
	timeout := &apierror.Error{Code: apierror.QueryTimeout, Message: "statement cancelled: it ran longer than the time limit of 1s (statement_timeout)"}
	base, cancel := context.WithCancelCause(context.Background())
	cancel(timeout)
	ended := sql.NewContext(base)
	for name, args := range aggs {
		agg, err := buildAggregate(args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v, err := fill(live, agg).Eval(live)
		if err != nil {
			t.Fatalf("%s on a live statement: %v", name, err)
		}
		text, err := jsonText(v)
		if s, ok := v.(string); ok {
			text, err = s, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.NewReplacer(`"`, "", "[", "", "]", "", " ", "").Replace(text); got != strings.Join(want, ",") {
			t.Errorf("%s: %.200s", name, text)
		}
		if v, err := fill(live, agg).Eval(ended); apierror.CodeOf(err) != apierror.QueryTimeout {
			t.Errorf("%s after the statement ended: %.40v, %v; want QUERY_TIMEOUT", name, v, err)
		}
	}
}

// TestValueComparisonsStopWithTheirStatement: GREATEST, LEAST, a simple
// CASE, NULLIF and a window's peer groups compare texts themselves
// (compareValues), any number of them in one evaluation or loop: greatest(a, b, b, ...) over texts of 16 MB
// read them all to the end after the statement had ended. They now look
// at the context as they compare, and answer as before while it is live.
func TestValueComparisonsStopWithTheirStatement(t *testing.T) {
	a := expression.NewGetField(0, types.LongText, "a", true)
	b := expression.NewGetField(1, types.LongText, "b", true)
	lit := func(s string) sql.Expression { return expression.NewLiteral(s, types.LongText) }
	long := strings.Repeat("x", 3*textCheckBytes)
	row := sql.NewRow(long+"a", long+"b")
	build := map[string]func() (*pgFunc, error){
		"greatest": func() (*pgFunc, error) { return buildExtreme(true)([]sql.Expression{a, b, b}) },
		"least":    func() (*pgFunc, error) { return buildExtreme(false)([]sql.Expression{b, a, b}) },
		"case": func() (*pgFunc, error) {
			return buildCase([]sql.Expression{lit("simple,else"), a, b, lit("p"), a, lit("q"), lit("r")})
		},
		"nullif": func() (*pgFunc, error) { return buildNullIf([]sql.Expression{a, b}) },
	}
	want := map[string]any{"greatest": long + "b", "least": long + "a", "case": "q", "nullif": long + "a"}
	live := sql.NewContext(context.Background())
	base, cancel := context.WithCancelCause(context.Background())
	cancel(&apierror.Error{Code: apierror.QueryTimeout, Message: "statement cancelled: it ran longer than the time limit of 1s (statement_timeout)"})
	ended := sql.NewContext(base)
	// A window's peer groups (rank(), RANGE ... CURRENT ROW frames)
	// compare the ORDER BY values of a partition's rows in one loop.
	other := sql.NewRow(long+"a", long+"c")
	if same, err := samePeers(live, []sql.Expression{a}, row, other); err != nil || !same {
		t.Errorf("peers on a live statement: %v, %v", same, err)
	}
	if _, err := samePeers(ended, []sql.Expression{a}, row, other); apierror.CodeOf(err) != apierror.QueryTimeout {
		t.Errorf("peers after the statement ended: %v; want QUERY_TIMEOUT", err)
	}
	for name, mk := range build {
		f, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v, err := f.Eval(live, row); err != nil || v != want[name] {
			t.Errorf("%s on a live statement: %.20v, %v", name, v, err)
		}
		if v, err := f.Eval(ended, row); apierror.CodeOf(err) != apierror.QueryTimeout {
			t.Errorf("%s after the statement ended: %.20v, %v; want QUERY_TIMEOUT", name, v, err)
		}
	}
}
