package executor_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// pl14Tables creates ns.m (indexes (conv, id) and (conv, c)) and ns.r
// (no indexes) of kind (USER or SHARED) with column c of type typ, and
// fills both with the same rows for each caller: n rows over two
// conversations, c taking the values vals in turn.
func pl14Tables(t *testing.T, e *env, kind, typ string, n int, vals []string, callers ...*caller) {
	t.Helper()
	e.root().must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.m", "ns.r"} {
		e.root().must("CREATE " + kind + " TABLE " + tb + " (id BIGINT PRIMARY KEY, conv BIGINT, c " + typ + ", d BIGINT)")
	}
	createIndex(t, e, "CREATE INDEX a_conv_id ON ns.m (conv, id)")
	createIndex(t, e, "CREATE INDEX b_conv_c ON ns.m (conv, c)")
	for u, c := range callers {
		var rows []string
		for i := 1; i <= n; i++ {
			rows = append(rows, fmt.Sprintf("(%d, %d, %s, %d)", i+u*100000, 1+i%3%2, vals[(i*7)%len(vals)], i%5))
		}
		for _, tb := range []string{"ns.m", "ns.r"} {
			c.must("INSERT INTO " + tb + " VALUES " + strings.Join(rows, ", "))
		}
	}
}

// pl14Diff runs q (with $T) on ns.m and ns.r as c and reports a
// difference in rows, order or error; it returns whether the read of
// ns.m switched to its fallback.
func pl14Diff(t *testing.T, e *env, c *caller, stage, q string, params ...any) bool {
	t.Helper()
	res := func(tb string) string {
		qq := strings.ReplaceAll(q, "$T", tb)
		out, err := c.exec(qq, params...)
		if err != nil {
			// A panic's text holds an address.
			return "error: " + pl14Address.ReplaceAllString(err.Error(), "0x?")
		}
		return c.rowsOf(qq, out)
	}
	before := e.db.Engine.OrderIndexFallbacks()
	got := res("ns.m")
	switched := e.db.Engine.OrderIndexFallbacks() > before
	want := res("ns.r")
	if strings.HasPrefix(want, "error: ") {
		t.Logf("%s: %s: reference fails: %.200s", stage, q, want)
	}
	if got != want {
		plan, _ := c.exec("EXPLAIN "+strings.ReplaceAll(q, "$T", "ns.m"), params...)
		t.Errorf("%s %s: %s %v (fallback %v)\n got  %.600s\n want %.600s\n%v", stage, c.user, q, params, switched, got, want, plan)
	}
	return switched
}

// pl14Address matches a pointer in an error's text.
var pl14Address = regexp.MustCompile(`0x[0-9a-f]+`)

// pl14Ints are the values 0 to n-1 as SQL literals.
func pl14Ints(n int) []string {
	vals := make([]string, n)
	for v := range vals {
		vals[v] = fmt.Sprint(v)
	}
	return vals
}

// pl14FlushBoth moves both tables' rows to the cold tier.
func pl14FlushBoth(t *testing.T, e *env) {
	t.Helper()
	runJob(t, e, "STORAGE FLUSH TABLE ns.m")
	runJob(t, e, "STORAGE FLUSH TABLE ns.r")
}
